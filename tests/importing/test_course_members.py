"""The members beyond learners and grades: roles, forum roles, cohorts, teams, wiki, credit, ...

Real-format rows (package_tables §2), the exporter's own quirks included, on both backends:
projections and joins fill their LMS tables through natural keys, a course's full sets are
replaced week by week, and bad rows are named by file, line, column and value.
"""

from __future__ import annotations

import datetime

import pytest

from edx_schema.models import (
    Article,
    ArticleRevision,
    CohortMembership,
    CourseAccessRole,
    CourseTeam,
    CourseTeamMembership,
    CourseUserGroup,
    CourseUserGroupUsers,
    CreditCourse,
    CreditEligibility,
    ForumRole,
    ForumRoleUser,
    ImportRecord,
    LanguageProficiency,
    VerificationCheckpoint,
    VerificationStatus,
)
from edx_schema.outcomes import Status
from edx_schema.testing.factories import CourseEnrollmentFactory, UserFactory

from .folders import COURSE, PREFIX, SUFFIX, load, package

pytestmark = pytest.mark.django_db

OTHER = "course-v1:UniversityX+CS-102x+1T2025"
UTC = datetime.UTC


def tsv(header: str, *rows: str) -> str:
    return "\n".join([header.replace(" ", "\t"), *(r.replace(" | ", "\t") for r in rows)]) + "\n"


def roles(*rows: str) -> str:
    return tsv("org course_id user_id role", *rows)


# --- student_courseaccessrole: a projection without ids -----------------------------------------


def test_course_roles_are_replaced_week_by_week_and_other_courses_keep_theirs(tmp_path):
    CourseAccessRole.objects.create(user_id=7, org="UniversityX", course_id=OTHER, role="staff")
    week1 = {
        "student_courseaccessrole": roles(
            f"UniversityX | {COURSE} | 5 | instructor",
            f"UniversityX | {COURSE} | 6 | staff",
            f"UniversityX | {COURSE} | 6 | beta_testers",
        )
    }
    first = load(package(tmp_path, "2024-01-07", week1))["student_courseaccessrole"]
    assert (first.status, first.read, first.inserted) == (Status.LOADED, 3, 3)
    ids = dict(CourseAccessRole.objects.filter(course_id=COURSE).values_list("role", "id"))
    # Revoked: beta_testers. New: data_researcher.
    week2 = {
        "student_courseaccessrole": roles(
            f"UniversityX | {COURSE} | 5 | instructor",
            f"UniversityX | {COURSE} | 6 | staff",
            f"UniversityX | {COURSE} | 8 | data_researcher",
        )
    }
    second = load(package(tmp_path, "2024-01-14", week2))["student_courseaccessrole"]
    assert (second.inserted, second.unchanged, second.deleted) == (1, 2, 1)
    stored = CourseAccessRole.objects.filter(course_id=COURSE).values_list("user_id", "role", "id")
    assert sorted(stored, key=lambda r: r[0]) == [
        (5, "instructor", ids["instructor"]),
        (6, "staff", ids["staff"]),
        (8, "data_researcher", stored.get(role="data_researcher")[2]),
    ]
    assert (
        ImportRecord.objects.get(package="universityx-2024-01-14", table="student_courseaccessrole").deleted
        == 1
    )
    # The other course's role is not in this course's file, and stays.
    assert CourseAccessRole.objects.filter(course_id=OTHER).count() == 1


def test_a_header_only_file_empties_the_course_set_and_a_zero_length_one_keeps_it(tmp_path):
    load(
        package(
            tmp_path, "2024-01-07", {"student_courseaccessrole": roles(f"UniversityX | {COURSE} | 5 | staff")}
        )
    )
    # Zero bytes: the exporter wrote nothing (it says nothing about the course).
    (tmp_path / "w2").mkdir()
    zero = load(package(tmp_path / "w2", "2024-01-14", {"student_courseaccessrole": ""}))
    assert zero["student_courseaccessrole"].status == Status.EMPTY
    assert CourseAccessRole.objects.count() == 1
    # Header only: the course has no staff now. Its course comes from its other members.
    enrollments = tsv(
        "id user_id course_id created is_active mode", f"1 | 5 | {COURSE} | 2024-01-01 00:00:00 | 1 | audit"
    )
    (tmp_path / "w3").mkdir()
    header_only = {"student_courseaccessrole": roles(), "student_courseenrollment": enrollments}
    result = load(package(tmp_path / "w3", "2024-01-21", header_only))["student_courseaccessrole"]
    assert (result.status, result.deleted) == (Status.EMPTY, 1)
    assert not CourseAccessRole.objects.exists()


def test_a_bad_role_row_names_file_line_column_and_value(tmp_path):
    members = {
        "student_courseaccessrole": roles(
            f"UniversityX | {COURSE} | 5 | staff", f"UniversityX | {COURSE} | 2147483648 | staff"
        )
    }
    result = load(package(tmp_path, "2024-01-07", members))["student_courseaccessrole"]
    assert result.status == Status.FAILED
    assert f"{PREFIX}student_courseaccessrole{SUFFIX}, line 3, column user_id" in result.message
    assert "2147483648" in result.message
    assert not CourseAccessRole.objects.exists()  # one transaction per file


# --- django_comment_client_role_users: roles by name ----------------------------------------------


def forum(*rows: str) -> str:
    return tsv("course_id user_id name", *rows)


def test_forum_roles_are_found_or_made_by_course_and_name(tmp_path):
    ForumRole.objects.create(course_id=COURSE, name="Moderator")  # the role exists already
    week1 = {
        "django_comment_client_role_users": forum(
            f"{COURSE} | 5 | Student", f"{COURSE} | 6 | Student", f"{COURSE} | 6 | Moderator"
        )
    }
    result = load(package(tmp_path, "2024-01-07", week1))["django_comment_client_role_users"]
    assert (result.read, result.inserted, result.deleted) == (3, 3, 0)
    assert sorted(ForumRole.objects.values_list("name", flat=True)) == ["Moderator", "Student"]
    held = ForumRoleUser.objects.values_list("role__name", "user_id")
    assert sorted(held) == [("Moderator", 6), ("Student", 5), ("Student", 6)]
    roles_before = dict(ForumRole.objects.values_list("name", "id"))
    # Learner 6 is no longer a moderator; the same rows again are unchanged.
    week2 = {"django_comment_client_role_users": forum(f"{COURSE} | 5 | Student", f"{COURSE} | 6 | Student")}
    again = load(package(tmp_path, "2024-01-14", week2))["django_comment_client_role_users"]
    assert (again.inserted, again.unchanged, again.deleted) == (0, 2, 1)
    assert sorted(ForumRoleUser.objects.values_list("role__name", "user_id")) == [
        ("Student", 5),
        ("Student", 6),
    ]
    assert dict(ForumRole.objects.values_list("name", "id")) == roles_before


def test_forum_role_users_missing_from_auth_user_are_kept_and_counted(tmp_path):
    UserFactory(id=5)
    members = {
        "django_comment_client_role_users": forum(f"{COURSE} | 5 | Student", f"{COURSE} | 99 | Administrator")
    }
    result = load(package(tmp_path, "2024-01-07", members))["django_comment_client_role_users"]
    assert result.status == Status.LOADED
    assert "1 user_id value(s) refer to no row of auth_user" in result.message
    assert ForumRoleUser.objects.count() == 2


def test_a_repeated_forum_row_is_stored_once_and_reported(tmp_path):
    members = {
        "django_comment_client_role_users": forum(f"{COURSE} | 5 | Student", f"{COURSE} | 5 | Student")
    }
    result = load(package(tmp_path, "2024-01-07", members))["django_comment_client_role_users"]
    assert (result.read, result.inserted) == (2, 1)
    assert "1 row(s) repeat the course_id, name, user_id of an earlier row" in result.message


def test_bad_forum_rows_are_rejected_with_skip_bad_rows_and_the_rest_loads(tmp_path):
    members = {
        "django_comment_client_role_users": forum(
            f"{COURSE} | 5 | Student", f"{COURSE} | five | Student", "not a key | 6 | Student"
        )
    }
    failed = load(package(tmp_path, "2024-01-07", members))["django_comment_client_role_users"]
    assert failed.status == Status.FAILED
    assert "line 3, column user_id" in failed.message
    assert "five" in failed.message
    assert not ForumRoleUser.objects.exists()
    assert not ForumRole.objects.exists()
    (tmp_path / "again").mkdir()
    result = load(package(tmp_path / "again", "2024-01-07", members), skip_bad_rows=True)[
        "django_comment_client_role_users"
    ]
    assert (result.status, result.inserted, result.rejected) == (Status.LOADED, 1, 2)
    assert [(r.line, r.column) for r in result.rejects] == [(3, "user_id"), (4, "course_id")]


def test_a_dry_run_of_a_join_member_counts_and_writes_nothing(tmp_path):
    members = {"django_comment_client_role_users": forum(f"{COURSE} | 5 | Student")}
    result = load(package(tmp_path, "2024-01-07", members), dry_run=True)["django_comment_client_role_users"]
    assert (result.status, result.inserted) == (Status.WOULD_LOAD, 1)
    assert not ForumRole.objects.exists()
    assert not ImportRecord.objects.exists()


# --- course_groups_cohortmembership: cohorts by name ----------------------------------------------


def cohorts(*rows: str) -> str:
    return tsv("user_id course_id group_type name", *rows)


def test_cohort_memberships_follow_learners_between_cohorts(tmp_path):
    week1 = {
        "course_groups_cohortmembership": cohorts(
            f"5 | {COURSE} | cohort | Group A",
            f"6 | {COURSE} | cohort | Group A",
            f"7 | {COURSE} | cohort | Group B",
        )
    }
    first = load(package(tmp_path, "2024-01-07", week1))["course_groups_cohortmembership"]
    assert (first.inserted, first.updated) == (3, 0)
    groups = dict(CourseUserGroup.objects.values_list("name", "id"))
    assert sorted(groups) == ["Group A", "Group B"]
    # 6 moves to Group B; 7 leaves the course's cohorts (unenrolled); 8 arrives.
    week2 = {
        "course_groups_cohortmembership": cohorts(
            f"5 | {COURSE} | cohort | Group A",
            f"6 | {COURSE} | cohort | Group B",
            f"8 | {COURSE} | cohort | Group A",
        )
    }
    second = load(package(tmp_path, "2024-01-14", week2))["course_groups_cohortmembership"]
    assert (second.inserted, second.updated, second.unchanged, second.deleted) == (1, 1, 1, 1)
    members = CohortMembership.objects.values_list("user_id", "course_user_group__name", "course_id")
    assert sorted((u, g, str(c)) for u, g, c in members) == [
        (5, "Group A", COURSE),
        (6, "Group B", COURSE),
        (8, "Group A", COURSE),
    ]
    assert dict(CourseUserGroup.objects.values_list("name", "id")) == groups  # cohorts are kept
    # The LMS's own link table (CourseUserGroup.users) agrees with the memberships.
    linked = CourseUserGroupUsers.objects.values_list("courseusergroup__name", "user_id")
    assert sorted(linked) == [("Group A", 5), ("Group A", 8), ("Group B", 6)]


# --- verify_student_verificationstatus: legacy, append-only ---------------------------------------


def test_legacy_verification_statuses_fill_checkpoints_and_are_appended_once(tmp_path):
    # The PIPE fixture's location is not a valid usage key: it loads as written.
    location = "block-v1:edX+DemoX+Demo_Course"
    text = tsv(
        "timestamp status course_id checkpoint_location user_id",
        f"2015-09-01 10:00:00.123456 | submitted | {COURSE} | {location} | 5",
        f"2015-09-02 11:00:00 | approved | {COURSE} | {location} | 5",
    )
    first = load(package(tmp_path, "2015-09-06", {"verify_student_verificationstatus": text}))
    assert first["verify_student_verificationstatus"].inserted == 2
    (checkpoint,) = VerificationCheckpoint.objects.all()
    assert (str(checkpoint.course_id), checkpoint.checkpoint_location) == (COURSE, location)
    stored = VerificationStatus.objects.order_by("timestamp").values_list(
        "status", "timestamp", "checkpoint", "user_id"
    )
    assert list(stored) == [
        ("submitted", datetime.datetime(2015, 9, 1, 10, 0, 0, 123456, tzinfo=UTC), checkpoint.id, 5),
        ("approved", datetime.datetime(2015, 9, 2, 11, 0, tzinfo=UTC), checkpoint.id, 5),
    ]
    again = load(package(tmp_path, "2015-09-13", {"verify_student_verificationstatus": text}))
    assert (
        again["verify_student_verificationstatus"].inserted,
        again["verify_student_verificationstatus"].unchanged,
    ) == (0, 2)
    assert VerificationStatus.objects.count() == 2


# --- credit_crediteligibility: the course by its key -----------------------------------------------


def credit(*rows: str) -> str:
    return tsv("id created modified username deadline course_id", *rows)


def test_credit_eligibility_finds_its_credit_course_by_key(tmp_path):
    text = credit(
        f"3 | 2017-06-01 00:00:00 | 2017-06-02 00:00:00 | bao_5 | 2018-06-01 00:00:00 | {COURSE}",
        f"4 | 2017-06-01 00:00:00 | 2017-06-01 00:00:00 | an_6 | 2018-06-01 00:00:00 | {COURSE}",
    )
    result = load(package(tmp_path, "2017-07-02", {"credit_crediteligibility": text}))[
        "credit_crediteligibility"
    ]
    assert (result.inserted, result.course) == (2, COURSE)
    (course,) = CreditCourse.objects.all()
    assert (str(course.course_key), course.enabled) == (COURSE, True)
    assert sorted(CreditEligibility.objects.values_list("id", "username", "course")) == [
        (3, "bao_5", course.id),
        (4, "an_6", course.id),
    ]
    # A week later one deadline moved.
    text2 = text.replace(
        "4\t2017-06-01 00:00:00\t2017-06-01 00:00:00\tan_6\t2018-06-01",
        "4\t2017-06-01 00:00:00\t2017-06-01 00:00:00\tan_6\t2018-07-01",
    )
    again = load(package(tmp_path, "2017-07-09", {"credit_crediteligibility": text2}))[
        "credit_crediteligibility"
    ]
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    assert CreditEligibility.objects.get(id=4).deadline == datetime.datetime(2018, 7, 1, tzinfo=UTC)


def test_a_username_another_eligibility_holds_is_a_row_error(tmp_path):
    course = CreditCourse.objects.create(course_key=COURSE, enabled=True)
    CreditEligibility.objects.create(
        id=3, username="bao_5", course=course, deadline=datetime.datetime(2018, 6, 1, tzinfo=UTC)
    )
    text = credit(f"9 | 2017-06-01 00:00:00 | 2017-06-01 00:00:00 | bao_5 | 2018-06-01 00:00:00 | {COURSE}")
    failed = load(package(tmp_path, "2017-07-02", {"credit_crediteligibility": text}))[
        "credit_crediteligibility"
    ]
    assert failed.status == Status.FAILED
    assert "line 2, column username" in failed.message
    assert "(id 3)" in failed.message
    (tmp_path / "skip").mkdir()
    skipped = load(
        package(tmp_path / "skip", "2017-07-02", {"credit_crediteligibility": text}), skip_bad_rows=True
    )
    assert (skipped["credit_crediteligibility"].rejected, skipped["credit_crediteligibility"].inserted) == (
        1,
        0,
    )
    assert list(CreditEligibility.objects.values_list("id", flat=True)) == [3]


# --- wiki: repeated ids, '' in integer columns, dangling revisions --------------------------------

WHEN = "2013-02-01 10:00:00"
ARTICLE = (
    "id current_revision_id created modified owner_id group_id group_read group_write other_read other_write"
)
REVISION = (
    "id revision_number user_message automatic_log ip_address user_id modified created "
    "previous_revision_id deleted locked article_id content title"
)


def test_the_wiki_loads_as_the_exporter_wrote_it_quirks_included(tmp_path):
    # The PIPE fixture: article 2 three times (revisions 2, 3, 4), owner '' (obfuscated),
    # revision 4 absent and previous revisions that dangle.
    articles = tsv(
        ARTICLE,
        "1 | 1 | 2013-02-01 10:00:00 | 2013-02-01 10:00:00 | 5 | NULL | 1 | 1 | 1 | 0",
        "2 | 2 | 2013-02-01 10:00:00 | 2013-02-02 10:00:00 |  |  | 1 | 1 | 1 | 0",
        "2 | 3 | 2013-02-01 10:00:00 | 2013-02-03 10:00:00 |  |  | 1 | 1 | 1 | 0",
        "2 | 4 | 2013-02-01 10:00:00 | 2013-02-04 10:00:00 |  |  | 1 | 1 | 1 | 0",
    )
    revisions = tsv(
        REVISION,
        f"1 | 1 |  |  | 10.0.0.1 | 5 | {WHEN} | {WHEN} | NULL | 0 | 0 | 1 | # Home\\r\\nWelcome | Home",
        f"2 | 2 | first |  | NULL | 5 | {WHEN} | {WHEN} | 20237 | 0 | 0 | 1 | v2 | Home",
        f"3 | 3 |  |  | NULL | NULL | {WHEN} | {WHEN} | 22781 | 0 | 0 | 1 | v3 | Home",
    )
    results = load(
        package(tmp_path, "2015-01-04", {"wiki_article": articles, "wiki_articlerevision": revisions})
    )
    article = results["wiki_article"]
    assert (article.status, article.read) == (Status.LOADED, 4)
    assert "2 row(s) repeat the id of an earlier row; the last row of each was kept" in article.message
    assert list(
        Article.objects.order_by("id").values_list("id", "current_revision_id", "owner_id", "group_id")
    ) == [
        (1, 1, 5, None),
        (2, 4, None, None),
    ]
    revision = results["wiki_articlerevision"]
    assert revision.status == Status.LOADED
    assert "2 previous_revision_id value(s) refer to no row of wiki_articlerevision" in revision.message
    assert ArticleRevision.objects.get(id=1).content == "# Home\r\nWelcome"
    # Article 2's current revision (4) is not in the file: kept as exported.
    assert ArticleRevision.objects.filter(id=4).exists() is False


def test_an_empty_string_in_a_not_null_integer_column_is_still_an_error(tmp_path):
    revisions = tsv(
        REVISION,
        "1 |  |  |  | NULL | 5 | 2013-02-01 10:00:00 | 2013-02-01 10:00:00 | NULL | 0 | 0 | 1 | x | Home",
    )
    result = load(package(tmp_path, "2015-01-04", {"wiki_articlerevision": revisions}))[
        "wiki_articlerevision"
    ]
    assert result.status == Status.FAILED
    assert "line 2, column revision_number" in result.message


# --- teams: file names that are not their tables, columns added later, bad dates ------------------

TEAMS = (
    "id team_id name course_id topic_id date_created description country language discussion_topic_id "
    "last_activity_at team_size"
)


def team(
    id_: int, *, topic: str = "topic-1", last: str = "2015-09-30 21:32:17", discussion: str | None = None
) -> str:
    discussion = discussion or f"d{id_}"
    fields = [id_, f"team-{id_}", f"Team {id_}", COURSE, topic, "2015-09-01 00:00:00", "We", "US", ""]
    return " | ".join(map(str, [*fields, discussion, last, 2]))


def test_teams_files_fill_the_team_tables_and_old_headers_get_the_defaults(tmp_path):
    memberships = tsv(
        "id user_id team_id date_joined last_activity_at",
        "1 | 5 | 1 | 2015-09-02 00:00:00 | 2015-09-03 00:00:00",
        "2 | 6 | 2 | 2015-09-02 00:00:00 | 2015-09-03 00:00:00",
    )
    members = {"teams": tsv(TEAMS, team(1), team(2)), "teams_membership": memberships}
    results = load(package(tmp_path, "2016-01-03", members))
    assert results["teams_courseteam"].inserted == 2
    assert results["teams_courseteammembership"].inserted == 2
    # 12 columns, as before 2019: organization_protected takes the LMS's default.
    assert list(CourseTeam.objects.values_list("organization_protected", flat=True)) == [False, False]
    # A week later team 2 is gone (its members with it), learner 5 left team 1 and 7 joined it.
    teams13 = tsv(TEAMS + " organization_protected", team(1) + " | 1")
    joined = "3 | 7 | 1 | 2016-01-05 00:00:00 | 2016-01-05 00:00:00"
    week2 = {
        "teams": teams13,
        "teams_membership": tsv("id user_id team_id date_joined last_activity_at", joined),
    }
    results = load(package(tmp_path, "2016-01-10", week2))
    teams, memberships = results["teams_courseteam"], results["teams_courseteammembership"]
    assert (teams.updated, teams.deleted) == (1, 1)
    assert "1 row(s) of teams_courseteammembership went with the rows deleted" in teams.message
    assert (memberships.inserted, memberships.deleted) == (1, 1)
    assert list(CourseTeam.objects.values_list("id", "organization_protected")) == [(1, True)]
    assert list(CourseTeamMembership.objects.values_list("user_id", "team_id")) == [(7, 1)]


def test_the_pipe_fixtures_impossible_dates_and_shared_discussion_topics_are_row_errors(tmp_path):
    text = tsv(
        TEAMS, team(1, discussion="shared"), team(2, last="2015-09-31 21:32:17"), team(3, discussion="shared")
    )
    failed = load(package(tmp_path, "2016-01-03", {"teams": text}))["teams_courseteam"]
    assert failed.status == Status.FAILED
    assert f"{PREFIX}teams{SUFFIX}, line 3, column last_activity_at" in failed.message
    assert "2015-09-31 21:32:17" in failed.message
    (tmp_path / "skip").mkdir()
    result = load(package(tmp_path / "skip", "2016-01-03", {"teams": text}), skip_bad_rows=True)[
        "teams_courseteam"
    ]
    assert (result.inserted, result.rejected) == (1, 2)
    assert [(r.line, r.column) for r in result.rejects] == [
        (3, "last_activity_at"),
        (4, "discussion_topic_id"),
    ]


def test_tables_accepts_a_member_token_or_its_table(tmp_path):
    members = {
        "teams": tsv(TEAMS, team(1)),
        "student_courseaccessrole": roles(f"UniversityX | {COURSE} | 5 | staff"),
    }
    results = load(package(tmp_path, "2016-01-03", members), tables=frozenset({"teams_courseteam"}))
    assert results["teams_courseteam"].status == Status.LOADED
    assert results["student_courseaccessrole"].status == Status.FILTERED


# --- student_languageproficiency: learner-level rows in every course file -------------------------


def test_language_proficiencies_are_replaced_for_the_courses_learners_only(tmp_path):
    enrolled, elsewhere = UserFactory(), UserFactory()
    CourseEnrollmentFactory(user=enrolled, course_id=COURSE)
    CourseEnrollmentFactory(user=elsewhere, course_id=OTHER)
    mine, theirs = enrolled.profile.id, elsewhere.profile.id
    LanguageProficiency.objects.create(id=1, user_profile_id=mine, code="fr")
    LanguageProficiency.objects.create(id=2, user_profile_id=theirs, code="de")
    # The physical column order: id user_profile_id code (not the DDL's).
    text = tsv("id user_profile_id code", f"3 | {mine} | en")
    # The file has no course column: the course comes from another member of the course.
    members = {
        "student_languageproficiency": text,
        "student_courseaccessrole": roles(f"UniversityX | {COURSE} | 5 | staff"),
    }
    result = load(package(tmp_path, "2016-01-03", members))["student_languageproficiency"]
    assert (result.inserted, result.deleted, result.course) == (1, 1, COURSE)
    assert sorted(LanguageProficiency.objects.values_list("id", "user_profile_id", "code")) == [
        (2, theirs, "de"),
        (3, mine, "en"),
    ]


# --- subsection grades: each row's course gets its empty block list ------------------------------


def test_subsection_grades_of_two_courses_in_one_file_each_get_their_courses_block_list(tmp_path):
    """The first row's course is prepared for a straight load; a row of another course makes the
    load fall back to the merge, which prepares every course."""
    from edx_schema.models import PersistentSubsectionGrade

    header = (
        "course_id user_id usage_key earned_all possible_all earned_graded possible_graded "
        "first_attempted created modified"
    )
    when = "2024-03-01 10:00:00"
    other = "course-v1:UniversityX+CS-102x+1T2025"
    rows = [
        f"{course} | 5 | block-v1:{course[10:]}+type@sequential+block@hw1 | 1 | 2 | 1 | 2 | "
        f"{when} | {when} | {when}"
        for course in (COURSE, other)
    ]
    result = load(package(tmp_path, "2024-03-03", {"grades_persistentsubsectiongrade": tsv(header, *rows)}))
    assert result["grades_persistentsubsectiongrade"].inserted == 2
    stored = PersistentSubsectionGrade.objects.values_list("course_id", "visible_blocks__course_id")
    assert sorted((str(a), str(b)) for a, b in stored) == [(COURSE, COURSE), (other, other)]
