"""What the outline says a subsection is worth, for learners who never opened it."""

import pytest

from edx_schema.services.outline import outline_possibles, unattempted_possibles
from edx_schema.testing.factories import PersistentSubsectionGradeFactory
from tests.services.outlines import COURSE, key, save_sample_outline

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    save_sample_outline()


def test_the_outline_fixes_a_possible_only_where_every_scored_block_has_a_weight(course):
    assert outline_possibles(course_id=COURSE) == {
        key("sequential", "weighted"): 5.5,  # 2 + 3.5; the ungraded practice problem and html do not count
        key("sequential", "unweighted"): None,  # p4 has no weight: its raw possible is unknown
        key("sequential", "library"): None,  # content chosen per learner
        key("sequential", "empty"): 0.0,
    }


def test_unattempted_subsections_fall_back_to_the_largest_possible_in_any_learners_row(course):
    for possible in (3.0, 8.0):
        PersistentSubsectionGradeFactory(
            course_id=COURSE, usage_key=key("sequential", "unweighted"), possible_graded=possible
        )
    # A row does not override what the outline fixes.
    PersistentSubsectionGradeFactory(
        course_id=COURSE, usage_key=key("sequential", "weighted"), possible_graded=99.0
    )
    assert unattempted_possibles(course_id=COURSE) == {
        key("sequential", "weighted"): 5.5,
        key("sequential", "unweighted"): 8.0,
        # library: no weight and no rows, empty: nothing possible; both are left out
    }
