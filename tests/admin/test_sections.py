"""The learner page's roles, cohorts, teams, credit, ORA submissions, e-mail opt-in and languages,
and the course page's staff, cohort and team sizes: what they show, to whom, and the link to the
rest past the first rows. The sample's rows of those tables are removed first: what a section
shows is the test's own rows."""

import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from edx_schema.models import (
    AnonymousUserId,
    Assessment,
    AssessmentPart,
    GradingPolicy,
    Score,
    StudentItem,
    Submission,
)
from tests.admin.conftest import COURSE, staff_client
from tests.admin.section_rows import (
    HIST,
    LEARNER,
    OTHER_ORG_COURSE,
    PEER,
    with_course_rows,
    with_learner_rows,
    with_more_learner_rows,
    without_section_rows,
)

pytestmark = pytest.mark.django_db

LEARNER_KEYS = (
    "course-roles",
    "forum-roles",
    "cohorts",
    "teams",
    "credit",
    "ora",
    "email-opt-in",
    "languages",
)
COURSE_KEYS = ("staff", "forum-staff", "cohort-sizes", "team-sizes")
#: The tables the ORA section joins, submissions first: it needs the view permission of each.
ORA_MODELS = (Submission, StudentItem, AnonymousUserId, Score, Assessment, AssessmentPart)


def view_permissions(models):
    """The names of the view permissions of ``models``, for :func:`staff_client`."""
    return [f"{model._meta.app_label}.view_{model._meta.model_name}" for model in models]


def section(response, key):
    """The HTML of the page's table ``key`` and of the note under it, up to the next section."""
    assert response.status_code == 200
    text = response.content.decode()
    assert f'<table id="{key}">' in text, f"no table {key}"
    return text.split(f'<table id="{key}">', 1)[1].split("<h2>", 1)[0]


def text_of(html):
    return unescape(re.sub(r"<[^>]+>", "", html))


def table(response, key):
    """The body rows of the page's table ``key``, each a list of its cells' text."""
    body = section(response, key).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows_of(body)
    ]


def rows_of(html):
    return re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)


def row_links(response, key, first_cell):
    """The links of the row of table ``key`` whose first cell is ``first_cell``."""
    (row,) = [r for r in rows_of(section(response, key)) if text_of(r.split("</td>", 1)[0]) == first_cell]
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', row)]


def more_link(response, key):
    """The link under table ``key`` to the rest of its rows, or None."""
    note = re.search(r'<p class="edx-more">.*?href="([^"]+)"', section(response, key), flags=re.S)
    return unescape(note.group(1)) if note else None


def listed_rows(client, url):
    """How many rows the admin list at ``url`` shows."""
    listing = client.get(url)
    assert listing.status_code == 200, url  # not a refused lookup (a 400) or its ?e=1 redirect
    result = listing.content.decode().split('id="result_list"', 1)[1].split("</table>", 1)[0]
    return len(rows_of(result.replace('<tr class="', "<tr>").split("<tbody>", 1)[1]))


def learner_page(client):
    return client.get(reverse("admin:edx_schema_learner", args=[LEARNER]))


def course_page(client, course=COURSE):
    policy = GradingPolicy.objects.get(course_id=course)
    return client.get(reverse("admin:edx_schema_course", args=[policy.pk]))


def refused(response, what):
    return f"You do not have permission to view {what}." in response.content.decode()


def assert_hidden(response, section):
    """Section ``(key, what, value)`` is a no-permission note: no table, and not its ``value``."""
    key, what, value = section
    text = response.content.decode()
    assert f'<table id="{key}">' not in text, key
    assert refused(response, what), key
    assert value not in text, key


@pytest.fixture
def bare_sample(sample):
    """The sample without rows in the sections' tables."""
    without_section_rows()


# -- the learner page -----------------------------------------------------------------------


@pytest.fixture
def hiro(bare_sample):
    return with_learner_rows()


def test_the_learner_page_shows_the_learners_roles_cohorts_teams_credit_and_languages(hiro, admin_client):
    page = learner_page(admin_client)
    assert table(page, "course-roles") == [
        ["(the whole org)", "universityx", "data_researcher"],
        [HIST, "UniversityX", "beta_testers"],
    ]
    assert table(page, "forum-roles") == [[COURSE, "Community TA"]]
    assert table(page, "cohorts") == [[COURSE, "Night owls"]]
    [[course, topic, team, joined]] = table(page, "teams")
    assert (course, topic, team) == (COURSE, "topic-7", "Team Rocket")
    assert joined.startswith("Jan. 8, 2024")  # the factory's date_joined
    [[course, _since, deadline]] = table(page, "credit")
    assert (course, deadline) == (COURSE, "June 30, 2025, 11:59 p.m.")
    assert table(page, "languages") == [["pt-br"]]
    assert all(more_link(page, key) is None for key in LEARNER_KEYS)  # all shown: no link to more


def test_the_ora_section_shows_each_submission_with_its_latest_score_and_every_assessment(hiro, admin_client):
    own = AnonymousUserId.objects.get(user_id=LEARNER, course_id=COURSE).anonymous_user_id
    essay = "block-v1:UniversityX+CS-101x+3T2024+type@openassessment+block@essay"
    # The self-assessment is stored with the bare-hex uuid: it is shown all the same.
    assessed = f"PE 5 pts by {PEER}, 2024-08-03 10:15; SE 4 pts by {own}, 2024-08-04 11:00"
    assert table(learner_page(admin_client), "ora") == [
        [COURSE, essay, "1", "Aug. 1, 2024, 2:30 p.m.", "7 / 10", assessed]
    ]


def test_the_ora_section_says_so_of_a_submission_not_scored_nor_assessed(hiro, admin_client):
    with_more_learner_rows(hiro)
    newest, _essay = table(learner_page(admin_client), "ora")
    assert newest == [
        HIST,
        "i4x://UniversityX/HIST.2x/openassessment/essay",
        "1",
        "Sept. 2, 2024, 8 a.m.",
        "(not scored)",
        "(none)",
    ]


def test_the_opt_in_section_shows_each_org_and_course_and_whether_the_learner_chose(hiro, admin_client):
    assert table(learner_page(admin_client), "email-opt-in") == [
        ["otherx", OTHER_ORG_COURSE, "True", "(never: the exporter's default)"],
        ["universityx", COURSE, "False", "Aug. 3, 2024, 6:51 p.m."],
    ]


def test_a_learner_with_none_of_them_sees_none_in_each(bare_sample, admin_client):
    page = learner_page(admin_client)
    for key in LEARNER_KEYS:
        assert table(page, key) == [["None."]], key


def test_past_the_first_rows_a_section_links_to_all_of_the_learners_rows(hiro, admin_client, monkeypatch):
    monkeypatch.setattr("edx_schema.admin.sections.ROWS_SHOWN", 1)
    with_more_learner_rows(hiro)
    page = learner_page(admin_client)
    # Each table's list, and how many rows hiro has there (the other learner has one in each).
    expected = {
        "course-roles": ("courseaccessrole", 3),
        "forum-roles": ("forumroleuser", 2),
        "cohorts": ("cohortmembership", 2),
        "teams": ("courseteammembership", 2),
        "credit": ("crediteligibility", 2),
        "ora": ("submission", 2),  # one in each course, under two anonymous ids
        "email-opt-in": ("emailoptin", 3),
        "languages": ("languageproficiency", 2),
    }
    for key, (model, rows) in expected.items():
        assert len(table(page, key)) == 1, key
        url = more_link(page, key)
        assert url.startswith(f"/admin/edx_schema/{model}/?"), key
        assert listed_rows(admin_client, url) == rows, key


def test_each_section_needs_the_view_permission_of_its_tables(hiro, client):
    staff_client(
        client,
        "auth.view_user",
        "edx_schema.view_courseaccessrole",
        "edx_schema.view_forumroleuser",  # and not the forum roles themselves
        "edx_schema.view_cohortmembership",
        "edx_schema.view_courseusergroup",
        "edx_schema.view_languageproficiency",
        "edx_schema.view_emailoptin",
        *view_permissions(ORA_MODELS[1:]),  # all the ORA section joins but submissions
    )
    page = learner_page(client)
    assert table(page, "course-roles")[1] == [HIST, "UniversityX", "beta_testers"]
    assert table(page, "cohorts") == [[COURSE, "Night owls"]]
    assert table(page, "email-opt-in")[1] == ["universityx", COURSE, "False", "Aug. 3, 2024, 6:51 p.m."]
    assert table(page, "languages") == [["pt-br"]]
    assert_hidden(page, ("forum-roles", "forum roles", "Community TA"))
    assert_hidden(page, ("teams", "teams", "Team Rocket"))
    assert_hidden(page, ("credit", "credit eligibility", "June 30, 2025"))
    assert_hidden(page, ("ora", "ORA submissions and their assessments", "7 / 10"))


@pytest.mark.parametrize("missing", ORA_MODELS, ids=lambda model: model._meta.model_name)
def test_the_ora_section_needs_the_view_permission_of_each_table_it_joins(hiro, client, missing):
    staff_client(
        client,
        "auth.view_user",
        *view_permissions(model for model in ORA_MODELS if model is not missing),
    )
    page = learner_page(client)
    assert_hidden(page, ("ora", "ORA submissions and their assessments", PEER))
    assert "7 / 10" not in page.content.decode()


def test_the_ora_section_is_shown_to_whoever_may_view_all_it_joins(hiro, client):
    staff_client(client, "auth.view_user", *view_permissions(ORA_MODELS))
    [[*_, score, assessed]] = table(learner_page(client), "ora")
    assert score == "7 / 10"
    assert assessed.startswith(f"PE 5 pts by {PEER}")


def test_a_staff_member_who_may_only_view_users_sees_none_of_them(hiro, client):
    staff_client(client, "auth.view_user")
    page = learner_page(client)
    text = page.content.decode()
    for value in (
        "beta_testers",
        "Community TA",
        "Night owls",
        "Team Rocket",
        "June 30, 2025",
        "7 / 10",
        "otherx",
        "pt-br",
    ):
        assert value not in text, value
    for what in (
        "course access roles",
        "forum roles",
        "cohorts",
        "teams",
        "credit eligibility",
        "ORA submissions and their assessments",
        "e-mail opt-in preferences",
        "language proficiencies",
    ):
        assert refused(page, what), what


# -- the course page ------------------------------------------------------------------------


@pytest.fixture
def staffed_course(bare_sample):
    return with_course_rows()


def test_the_course_page_shows_staff_by_role_and_the_sizes_of_cohorts_and_teams(staffed_course, admin_client):
    learners, instructor = staffed_course
    page = course_page(admin_client)
    assert table(page, "staff") == [
        ["data_researcher", str(learners[2].pk), learners[2].username, "the whole org"],
        ["instructor", str(instructor.pk), "prof_x", COURSE],
        ["staff", str(learners[0].pk), learners[0].username, COURSE],
        ["staff", str(learners[1].pk), learners[1].username, COURSE],
        ["staff", "424242", "(not in auth_user)", COURSE],
    ]
    assert row_links(page, "staff", "instructor") == [
        reverse("admin:edx_schema_learner", args=[instructor.pk])
    ]
    assert table(page, "forum-staff") == [["Administrator", "1"], ["Community TA", "1"], ["Moderator", "2"]]
    assert table(page, "cohort-sizes") == [["Early birds", "3"], ["Empty", "0"], ["Night owls", "7"]]
    assert table(page, "team-sizes") == [
        ["topic-1", "Team Alone", "0"],
        ["topic-1", "Team Rocket", "4"],
        ["topic-2", "Team Aqua", "1"],
    ]
    assert all(more_link(page, key) is None for key in COURSE_KEYS)


def test_a_member_count_links_to_the_members(staffed_course, admin_client):
    page = course_page(admin_client)
    for key, first_cell, members in (
        ("cohort-sizes", "Night owls", 7),
        ("team-sizes", "topic-2", 1),
        ("forum-staff", "Moderator", 2),
    ):
        (url,) = row_links(page, key, first_cell)
        assert listed_rows(admin_client, url) == members, key


def test_a_course_without_any_shows_none(bare_sample, admin_client):
    page = course_page(admin_client, HIST)
    for key in COURSE_KEYS:
        assert table(page, key) == [["None."]], key


def test_past_the_first_rows_a_course_section_links_to_the_courses_list(
    staffed_course, admin_client, monkeypatch
):
    monkeypatch.setattr("edx_schema.admin.sections.ROWS_SHOWN", 2)
    page = course_page(admin_client)
    for key, model in (
        ("staff", "courseaccessrole"),
        ("forum-staff", "forumrole"),
        ("cohort-sizes", "courseusergroup"),
        ("team-sizes", "courseteam"),
    ):
        assert len(table(page, key)) == 2, key
        url = more_link(page, key)
        assert url == f"/admin/edx_schema/{model}/?{urlencode({'course_id': COURSE})}", key
        assert listed_rows(admin_client, url) >= 3, key


def test_the_course_sections_need_the_view_permission_of_their_tables(staffed_course, client):
    staff_client(
        client,
        "edx_schema.view_gradingpolicy",
        "edx_schema.view_courseusergroup",
        "edx_schema.view_cohortmembership",
        "edx_schema.view_courseaccessrole",  # but not users: the staff section names them
        "edx_schema.view_courseteam",  # but not the memberships
    )
    page = course_page(client)
    assert table(page, "cohort-sizes")[-1] == ["Night owls", "7"]
    assert_hidden(page, ("staff", "course access roles", "prof_x"))
    assert_hidden(page, ("forum-staff", "forum roles", "Moderator"))
    assert_hidden(page, ("team-sizes", "teams", "Team Rocket"))
