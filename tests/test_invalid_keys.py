"""One exception for a key that does not parse, whichever layer reads it: ``api.InvalidKeyError``.

- The commands: each key argument is refused with a CommandError naming the option and the
  value, and the service a command calls raises ``api.InvalidKeyError`` for the same value.
- The importer never raises for the data it reads: a row whose key does not parse is a reject
  (or fails its file), a document's fails its member, each with a message naming file, line,
  column or JSON path, and the value. The package decoders it runs raise
  ``api.InvalidKeyFormatError``, which ``except api.InvalidKeyError`` and ``except
  api.FormatError`` both catch.
- The admin: a key typed into a form is the field's error, with the same message; a key in a
  search or a filter matches nothing (tests/admin/test_hostile_input.py).
"""

import io
import json
import re
from io import StringIO

import opaque_keys
import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse

from edx_schema import api
from edx_schema.keys import course_key, usage_key
from edx_schema.models import CourseEnrollment, PersistentSubsectionGradeOverride
from edx_schema.package.course import read_course_structure
from edx_schema.package.forum import read_posts
from edx_schema.package.values import course_key_parser
from edx_schema.services.vismooc import export_vismooc
from edx_schema.testing.factories import CourseEnrollmentFactory, UserFactory

COURSE = "course-v1:Org+Num+Run"
SEQUENTIAL = "block-v1:Org+Num+Run+type@sequential+block@hw1"
BAD = "not a key"


def test_the_exception_is_edx_schemas_and_opaque_keys_and_a_format_error_for_a_member():
    with pytest.raises(api.InvalidKeyError) as raised:
        course_key(BAD)
    assert isinstance(raised.value, api.EdxSchemaError)
    assert isinstance(raised.value, opaque_keys.InvalidKeyError)  # edx-platform's code catches it
    assert (raised.value.key_type, raised.value.key) == ("course key", BAD)
    assert str(raised.value) == f"{BAD!r} is not a course key (course-v1:Org+Number+Run or Org/Number/Run)"
    assert issubclass(api.InvalidKeyFormatError, api.FormatError)
    assert issubclass(api.InvalidKeyFormatError, api.InvalidKeyError)


@pytest.mark.parametrize("value", ["", "course-v1:Org+Num", SEQUENTIAL, None, 5, "x" * 500])
def test_a_course_key_that_does_not_parse_is_named_short(value):
    with pytest.raises(api.InvalidKeyError, match="is not a course key") as raised:
        course_key(value)
    assert len(str(raised.value)) < 150
    assert raised.value.key == value


def test_keys_parse_in_both_formats_and_pass_through_as_keys():
    assert str(course_key("Org/Num/Run")) == "Org/Num/Run"
    assert course_key(course_key(COURSE)) == course_key(COURSE)
    assert str(usage_key("i4x://Org/Num/sequential/hw1")) == "i4x://Org/Num/sequential/hw1"
    with pytest.raises(api.InvalidKeyError, match=re.escape(f"'{COURSE}' is not a usage key")):
        usage_key(COURSE)


# -- the importer ---------------------------------------------------------------------------------

PREFIX = "Org-Num-Run-"


def test_a_rows_key_that_does_not_parse_is_rejected_with_its_column_and_value(tmp_path, db):
    convert = course_key_parser(max_length=255, nullable=False)  # as the importer converts a column
    with pytest.raises(api.InvalidKeyError):
        convert(BAD)
    folder = tmp_path / "org-2024-01-07"
    folder.mkdir()
    (folder / f"{PREFIX}auth_user-prod-analytics.sql").write_text(
        "id\tusername\temail\tdate_joined\n7\tada\tada@example.org\t2013-02-01 10:00:00\n"
    )
    (folder / f"{PREFIX}student_courseenrollment-prod-analytics.sql").write_text(
        "id\tuser_id\tcourse_id\tcreated\tis_active\tmode\n"
        f"1\t7\t{COURSE}\tNULL\t1\thonor\n2\t7\t{BAD}\tNULL\t1\thonor\n"
    )
    summary = api.import_packages(paths=[folder], options=api.ImportOptions(skip_bad_rows=True))
    (result,) = [r for r in summary.results if r.table == "student_courseenrollment"]
    (reject,) = result.rejects
    assert (reject.line, reject.column, reject.value) == (3, "course_id", BAD)
    assert "not a valid course key" in reject.reason
    assert list(CourseEnrollment.objects.values_list("course_id", flat=True)) == [course_key(COURSE)]
    failed = api.import_packages(paths=[folder], options=api.ImportOptions(force=True))
    (result,) = [r for r in failed.results if r.table == "student_courseenrollment"]
    assert result.status == "failed"
    reason = "not a valid course key in either the old or the new format"
    assert f"line 3, column course_id: {reason} (value: {BAD!r})" in result.message


def test_a_documents_key_that_does_not_parse_fails_its_member_naming_where_and_what(tmp_path, db):
    blocks = {
        "block-v1:Org+Num+Run+type@course+block@course": {"category": "course", "children": []},
        BAD: {"category": "sequential", "children": []},
    }
    text = json.dumps(blocks, indent=1)
    line = next(number for number, row in enumerate(text.splitlines(), 1) if BAD in row)
    with pytest.raises(api.InvalidKeyError) as raised:
        read_course_structure(io.BytesIO(text.encode()), label="structure.json")
    assert isinstance(raised.value, api.FormatError)  # file, line, JSON path and value
    where = (raised.value.file, raised.value.line, raised.value.path)
    assert where == ("structure.json", line, f'$["{BAD}"]')
    assert (raised.value.key_type, raised.value.key) == ("usage key", BAD)
    folder = tmp_path / "org-2024-01-07"
    folder.mkdir()
    (folder / f"{PREFIX}course_structure-prod-analytics.json").write_text(text)
    summary = api.import_packages(paths=[folder], options=api.ImportOptions())
    (result,) = summary.results
    assert result.status == "failed"
    assert f'line {line}, at $["{BAD}"]: the block\'s id is not a valid usage key' in result.message


def test_a_forum_posts_course_key_that_does_not_parse_is_a_key_error_with_its_line():
    dump = json.dumps({"_id": {"$oid": "5" * 24}, "_type": "CommentThread", "course_id": BAD})
    with pytest.raises(api.InvalidKeyFormatError) as raised:
        list(read_posts(io.BytesIO(dump.encode() + b"\n"), label="forum.mongo"))
    assert (raised.value.line, raised.value.column, raised.value.key_type) == (1, "course_id", "course key")
    assert BAD in str(raised.value)


# -- the commands and the services they call -------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "args", "option"),
    [
        ("import_package", ["{tmp}", "--course", BAD], "--course"),
        ("recompute_grades", ["--course", BAD], "--course"),
        ("set_grading_policy", [BAD, "{tmp}/policy.json"], "COURSE"),
        ("export_vismooc", ["{tmp}/out", "--course", BAD], "--course"),
        (
            "override_subsection_grade",
            ["--user", "1", "--by", "1", "--reason", "r", "--course", BAD, "--usage-key", SEQUENTIAL],
            "--course",
        ),
        (
            "override_subsection_grade",
            ["--user", "1", "--by", "1", "--reason", "r", "--course", COURSE, "--usage-key", BAD],
            "--usage-key",
        ),
    ],
)
def test_each_commands_key_argument_is_refused_naming_the_option_and_the_value(
    command, args, option, tmp_path, db
):
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    with pytest.raises(CommandError) as raised:
        call_command(command, *args, stdout=StringIO(), stderr=StringIO())
    assert str(raised.value).startswith(f"{option} {BAD!r} is not a ")
    assert not (tmp_path / "out").exists()


def test_the_override_service_raises_the_api_exception_and_changes_nothing(db):
    staff = UserFactory(is_staff=True)
    for course, usage in ((BAD, SEQUENTIAL), (COURSE, BAD)):
        with pytest.raises(api.InvalidKeyError, match=f"{BAD!r} is not a"):
            api.correct_subsection_grade(
                user_id=staff.pk,
                course_id=course,
                usage_key=usage,
                acting_user=staff,
                reason="r",
                totals={"earned_graded": 1.0},
            )
    assert not PersistentSubsectionGradeOverride.objects.exists()


def test_the_export_service_raises_the_api_exception_before_writing_anything(tmp_path, db):
    with pytest.raises(api.InvalidKeyError, match=f"{BAD!r} is not a course key"):
        export_vismooc(directory=tmp_path / "out", courses=[COURSE, BAD])
    assert not (tmp_path / "out").exists()


def test_the_recompute_and_grading_policy_services_raise_the_api_exception(db):
    from edx_schema.models import GradingPolicy
    from edx_schema.services.outline import save_grading_policy

    with pytest.raises(api.InvalidKeyError, match=f"{BAD!r} is not a course key"):
        api.recompute_course(course_id=BAD)
    with pytest.raises(api.InvalidKeyError, match=f"{BAD!r} is not a course key"):
        save_grading_policy(course_id=BAD, text='{"GRADER": []}', source="grading_policy.json")
    assert not GradingPolicy.objects.exists()


# -- the admin ------------------------------------------------------------------------------------


def test_a_key_typed_into_an_admin_form_is_the_fields_error_naming_the_value(admin_client, settings, db):
    settings.EDX_SCHEMA_ADMIN_EDITABLE = True
    enrollment = CourseEnrollmentFactory(course_id=COURSE)
    change = reverse("admin:edx_schema_courseenrollment_change", args=[enrollment.pk])
    form = {
        "user": enrollment.user_id,
        "mode": "audit",
        "is_active": "on",
        "created_0": "2024-01-01",
        "created_1": "10:00:00",
    }
    refused = admin_client.post(change, {**form, "course_id": BAD})
    assert refused.status_code == 200  # the form again, not a server error
    assert refused.context["adminform"].form.errors["course_id"] == [
        f"{BAD!r} is not a course key (course-v1:Org+Number+Run or Org/Number/Run)"
    ]
    enrollment.refresh_from_db()
    assert str(enrollment.course_id) == COURSE
    assert admin_client.post(change, {**form, "course_id": "Org/Num/Other"}).status_code == 302
    enrollment.refresh_from_db()
    assert str(enrollment.course_id) == "Org/Num/Other"


def test_the_admin_forms_key_field_raises_from_the_api_exception(db):
    model_admin = admin.site.get_model_admin(CourseEnrollment)
    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True)
    field = model_admin.get_form(request)().fields["course_id"]
    with pytest.raises(ValidationError, match="is not a course key") as raised:
        field.clean(BAD)
    assert isinstance(raised.value.__cause__, api.InvalidKeyError)
