"""The shipped factories build valid, mutually consistent rows, and get-or-create on natural keys."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from opaque_keys.edx.keys import CourseKey

from edx_schema.models import (
    OWN_MODELS,
    CourseEnrollment,
    GeneratedCertificate,
    PersistentSubsectionGrade,
    StudentModule,
    UserProfile,
)
from edx_schema.testing import factories

pytestmark = pytest.mark.django_db

ALL_FACTORIES = [getattr(factories, name) for name in factories.__all__ if name.endswith("Factory")]


@pytest.mark.parametrize("factory_class", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_every_factory_builds_an_object_that_passes_model_validation(factory_class):
    obj = factory_class()
    try:
        obj.full_clean()
    except ValidationError as error:  # pragma: no cover - the assertion below reports it
        pytest.fail(f"{factory_class.__name__} built an invalid object: {error.message_dict}")
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_every_model_has_a_factory():
    from django.apps import apps

    built = {f._meta.model for f in ALL_FACTORIES}
    assert set(apps.get_app_config("edx_schema").get_models()) - built == {
        # The history model is written by django-simple-history, not built directly.
        apps.get_model("edx_schema", "HistoricalPersistentSubsectionGradeOverride"),
        # edx-schema's own tables are written by import_package, and are not LMS data.
        *OWN_MODELS,
    }


def test_user_factory_gives_a_profile_and_the_edx_password():
    user = factories.UserFactory(profile__name="Ada Lovelace")
    assert UserProfile.objects.get(user=user).name == "Ada Lovelace"
    assert authenticate(username=user.username, password=factories.TEST_PASSWORD) == user
    assert not UserProfile.objects.filter(user=factories.UserFactory(profile=False)).exists()


def test_enrollment_and_certificate_belong_to_the_same_user_and_its_profile():
    enrollment = factories.CourseEnrollmentFactory()
    certificate = factories.GeneratedCertificateFactory(user=enrollment.user)
    assert certificate.name == enrollment.user.profile.name
    assert certificate.course_id == enrollment.course_id


def test_student_module_key_belongs_to_its_course():
    course = CourseKey.from_string("MITx/6.002x/2012_Fall")
    row = factories.StudentModuleFactory(course_id="MITx/6.002x/2012_Fall")
    stored = StudentModule.objects.get(pk=row.pk)
    assert stored.course_id == course
    assert str(stored.module_state_key).startswith("i4x://MITx/6.002x/problem/")
    new_style = factories.StudentModuleFactory()
    assert new_style.module_state_key.course_key == factories.COURSE_KEY


def test_subsection_grade_totals_add_up_with_its_visible_blocks():
    grade = factories.PersistentSubsectionGradeFactory(
        visible_blocks__problem_count=3, visible_blocks__raw_possible=2.0
    )
    grade = PersistentSubsectionGrade.objects.get(pk=grade.pk)
    assert grade.possible_graded == 6.0
    assert 0 <= grade.earned_graded <= grade.possible_graded
    assert grade.earned_graded <= grade.earned_all
    assert grade.possible_graded <= grade.possible_all
    assert all(
        block["locator"].startswith("block-v1:edX+DemoX+Demo_Course+type@problem")
        for block in grade.visible_blocks.blocks
    )


def test_override_factory_overrides_a_grade_with_full_credit():
    override = factories.PersistentSubsectionGradeOverrideFactory()
    assert override.earned_graded_override == override.grade.possible_graded
    assert override.grade.override == override


def test_factories_get_or_create_on_natural_keys():
    user = factories.UserFactory()
    first = factories.CourseEnrollmentFactory(user=user, course_id="course-v1:a+b+c")
    again = factories.CourseEnrollmentFactory(user=user, course_id="course-v1:a+b+c")
    assert first.pk == again.pk
    assert CourseEnrollment.objects.filter(user=user).count() == 1
    factories.GeneratedCertificateFactory(user=user)
    factories.GeneratedCertificateFactory(user=user)
    assert GeneratedCertificate.objects.filter(user=user).count() == 1
