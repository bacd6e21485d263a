"""What a visitor types into a URL or a search box never gets a 500: every registered page, driven.

The pages come from ``admin.site._registry``, and each list's filters from its own changelist,
so a page or a filter added later is covered without touching this file. Django's test client
re-raises an exception a view lets escape, so a 500 fails these tests with its traceback.
"""

import html

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from edx_schema.models import (
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    StudentModule,
    Submission,
)
from tests.admin.conftest import COURSE

pytestmark = pytest.mark.django_db

MODELS = list(admin.site._registry)


def label(model):
    return model._meta.label


#: Search terms no row matches: a Unicode digit (int() refuses it), numbers in forms int() takes
#: but an id is not written in, a number past any column, a course key that does not parse, text
#: longer than any column, an emoji (four bytes in UTF-8), markup, and usage keys of a library
#: (whose context is not a course) or of a legacy course nobody imported.
MATCH_NOTHING = [
    "²",
    "٣",
    "1_0",
    "9" * 40,
    "not-a-course",
    "UniversityX/HIST.2x/2013_Spring/",
    "x" * 300,
    "lb:org:lib:problem:id",
    "lib-block-v1:org+lib+type@problem+block@x",
    "i4x://Nobody/None/sequential/x",
    "😀",
    '<script>alert("x")</script>',
]
#: Filter values: each filter is given each of them.
FILTER_VALUES = ["not-a-course", "²", "0", "9999", "9" * 40, "a\x00b", "😀", '<script>alert("x")</script>']
#: Object ids in a URL that no row has.
BAD_IDS = ["abc", "²", "-1", "1.5", "9" * 30, "😀", "%00"]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def filter_parameters(model, superuser):
    """The URL parameters of every filter of ``model``'s list, as its own changelist reads them."""
    request = RequestFactory().get(url(model, "changelist"))
    request.user = superuser
    model_admin = admin.site._registry[model]
    changelist = model_admin.get_changelist_instance(request)
    names = {name for spec in changelist.filter_specs for name in spec.expected_parameters()}
    if model_admin.date_hierarchy:
        names |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    return sorted(names)


def assert_normal_page(client, model, params):
    """The list answers 200, or Django's own redirect for a lookup it refuses, which answers 200."""
    response = client.get(url(model, "changelist"), params)
    if response.status_code == 302:  # Django's "?e=1" for a filter value its field refuses
        assert response["Location"] == url(model, "changelist") + "?e=1", (model, params)
        response = client.get(response["Location"])
    assert response.status_code == 200, (model, params)
    return response


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_a_search_nothing_can_match_lists_nothing(sample, admin_client, model):
    # Django's own search (the import log's, groups') is LIKE '%term%': under MariaDB's
    # utf8mb4_unicode_ci collation "²" is "2" and matches. Only a normal page is asked of it.
    indexed = bool(getattr(admin.site._registry[model], "indexed_search", ()))
    for term in MATCH_NOTHING:
        response = assert_normal_page(admin_client, model, {"q": term})
        if indexed:
            assert response.context["cl"].result_count == 0, (model, term)
        assert "<script>alert" not in response.content.decode()


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_a_search_with_a_nul_says_so(sample, admin_client, model):
    # Django's search form refuses it, with a message, and lists as if nothing was searched.
    response = assert_normal_page(admin_client, model, {"q": "a\x00b"})
    assert "Null characters are not allowed." in response.content.decode()


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_every_filter_takes_any_value(sample, admin_client, model):
    superuser = User.objects.get(username="admin")
    for name in filter_parameters(model, superuser):
        for value in FILTER_VALUES:
            text = assert_normal_page(admin_client, model, {name: value}).content.decode()
            assert "<script>alert" not in text


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_an_id_that_cannot_be_one_is_a_normal_answer(sample, admin_client, model):
    views = ["change", "delete", "history"]
    for object_id in BAD_IDS:
        for view in views:
            response = admin_client.get(url(model, view, object_id))
            # Django redirects a missing object to the index, with a message; read-only tables
            # refuse delete before looking; simple_history's pages say 404.
            assert response.status_code in (302, 403, 404), (model, view, object_id)
        try:
            pages = [
                url(model, "simple_history", "1", object_id),
                url(model, "simple_history", object_id, "1"),
            ]
        except NoReverseMatch:
            continue  # not a model with history
        for page in pages:
            assert admin_client.get(page).status_code == 404, page


def test_a_course_filter_that_is_not_a_course_key_says_so_and_lists_nothing(sample, admin_client):
    for model, parameter in (
        (PersistentCourseGrade, "course_id"),
        (StudentModule, "course_id"),  # a LearningContextKeyField
        (PersistentSubsectionGradeOverride, "grade__course_id"),  # across a relation
    ):
        response = admin_client.get(url(model, "changelist"), {parameter: "not-a-course"})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0
        assert "“not-a-course” is not a course key: nothing matches it." in html.unescape(
            response.content.decode()
        )
    # The message quotes the value shortened, and the page shows it escaped.
    response = admin_client.get(
        url(PersistentCourseGrade, "changelist"), {"course_id": "<b>x</b>" + "y" * 200}
    )
    [message] = [str(message) for message in response.context["messages"]]
    assert message == "“<b>x</b>" + "y" * 71 + "…” is not a course key: nothing matches it."
    text = response.content.decode()
    assert "<b>x</b>" not in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text
    # A course key still filters.
    good = admin_client.get(url(StudentModule, "changelist"), {"course_id": COURSE})
    assert good.context["cl"].result_count == StudentModule.objects.filter(course_id=COURSE).count() > 0


def test_submissions_are_found_by_uuid_or_student_item_id_and_anything_else_finds_none(sample, admin_client):
    submission = Submission.objects.order_by("pk").first()
    listing = url(Submission, "changelist")
    by_uuid = admin_client.get(listing, {"q": str(submission.uuid)})
    assert [row.pk for row in by_uuid.context["cl"].result_list] == [submission.pk]
    by_item = admin_client.get(listing, {"q": str(submission.student_item_id)})
    assert submission.pk in {row.pk for row in by_item.context["cl"].result_list}
    assert {row.student_item_id for row in by_item.context["cl"].result_list} == {submission.student_item_id}
    for term in ("x", "-1", "²", "10x"):
        response = admin_client.get(listing, {"q": term})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0, term
    # "10" is not a uuid, but it is a student item id (the 500 of issue 12).
    ten = admin_client.get(listing, {"q": "10"})
    assert ten.status_code == 200
    assert {row.pk for row in ten.context["cl"].result_list} == set(
        Submission.objects.filter(student_item_id=10).values_list("pk", flat=True)
    )


def test_the_submissions_learner_filter_takes_any_value_and_says_what_is_not_a_user_id(sample, admin_client):
    # Shown only while it filters, so filter_parameters does not find it: given here.
    listing = url(Submission, "changelist")
    for value in FILTER_VALUES:
        response = assert_normal_page(admin_client, Submission, {"learner": value})
        assert response.context["cl"].result_count == 0, value  # "0" and "9999": no such learner
        assert "<script>alert" not in response.content.decode()
    response = admin_client.get(listing, {"learner": "²"})
    assert "“²” is not a user id: nothing matches it." in html.unescape(response.content.decode())


def test_a_legacy_usage_key_finds_its_subsection_in_the_courses_of_its_org_and_number(sample, admin_client):
    key = "i4x://UniversityX/HIST.2x/sequential/hw2"  # no run in the key: 2013_Spring is the known one
    found = admin_client.get(url(PersistentSubsectionGrade, "changelist"), {"q": key}).context["cl"]
    expected = PersistentSubsectionGrade.objects.filter(usage_key=key)
    assert found.result_count == expected.count() > 0
    assert {str(grade.course_id) for grade in found.result_list} == {"UniversityX/HIST.2x/2013_Spring"}


def test_a_number_is_written_in_ascii_digits(sample, admin_client):
    # int() reads "\u0661\u0661" (Arabic-Indic digits) as 11: a search for it finds nothing, not user 11.
    assert admin_client.get(url(User, "changelist"), {"q": "\u0661\u0661"}).context["cl"].result_count == 0
    found = admin_client.get(url(User, "changelist"), {"q": "11"}).context["cl"].result_list
    assert [user.username for user in found] == ["hiro_11"]


def test_an_override_history_with_an_id_that_cannot_be_one_is_a_404(sample, admin_client):
    from edx_schema import api

    grade = PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=11, usage_key__endswith="hw3")
    override = api.override_subsection_grade(
        grade=grade, user=User.objects.get(username="admin"), reason="Appeal", earned_graded=1.0
    )
    version = override.history.get().history_id
    model = PersistentSubsectionGradeOverride
    assert admin_client.get(url(model, "history", override.pk)).status_code == 200
    assert admin_client.get(url(model, "simple_history", override.pk, version)).status_code == 200
    for bad in ("abc", "²", "1.5", "9" * 30):
        assert admin_client.get(url(model, "history", bad)).status_code == 404
        assert admin_client.get(url(model, "simple_history", override.pk, bad)).status_code == 404
        assert admin_client.get(url(model, "simple_history", bad, version)).status_code == 404


#: SQL injection attempts, in the search box and in every filter: each must be a value, not SQL.
INJECTIONS = [
    "' OR '1'='1",
    "1 OR 1=1",
    "1; DROP TABLE auth_user; --",
    "%' UNION SELECT username, password FROM auth_user -- ",
    '" OR ""="',
    "\\'; DELETE FROM courseware_studentmodule; #",
]


def _row_counts():
    return {model: model._default_manager.count() for model in MODELS}


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_sql_in_a_search_or_a_filter_is_only_a_value(sample, admin_client, model):
    before = _row_counts()
    parameters = filter_parameters(model, User.objects.get(username="admin"))
    for attempt in INJECTIONS:
        response = assert_normal_page(admin_client, model, {"q": attempt})
        if getattr(admin.site._registry[model], "indexed_search", ()):
            assert response.context["cl"].result_count == 0, (model, attempt)
        for name in parameters:
            assert_normal_page(admin_client, model, {name: attempt})
    assert _row_counts() == before  # nothing dropped or deleted
