"""Keyset pages: every row once, in primary-key order, whatever the page size."""

import pytest

from edx_schema.models import CourseEnrollment
from edx_schema.services.pages import by_primary_key
from edx_schema.testing.factories import CourseEnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 100])
def test_every_row_comes_once_in_order(chunk):
    made = sorted(CourseEnrollmentFactory().pk for _ in range(7))
    rows = list(by_primary_key(CourseEnrollment.objects.all(), ("pk", "mode"), chunk=chunk))
    assert [pk for pk, _mode in rows] == made
    assert {mode for _pk, mode in rows} == {"audit"}


def test_the_first_field_must_be_the_key():
    with pytest.raises(ValueError, match="must be 'pk'"):
        list(by_primary_key(CourseEnrollment.objects.all(), ("mode",)))
