"""The harness's own checks: every mutator works on every sample member, and cases replay."""

import random

import pytest

from . import profile, sample
from .harness import Case, import_cases, mutated
from .mutators import PACKAGE_LEVEL, applicable, mutate

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("kind", sample.KINDS)
def test_every_mutator_changes_every_member_of_its_kind(kind):
    for course in sample.courses_of(kind):
        original = sample.member_bytes(kind, course)
        for name in applicable(sample.category(kind)):
            changed = False
            for seed in range(5):
                data, notes = mutate(name, original, random.Random(seed), strict=True)
                assert notes, (name, seed)
                changed = changed or data != original
            # Package-level mutators change the package; latin-1 changes only non-ASCII text.
            unchanging = name in PACKAGE_LEVEL or (name == "latin1" and original.isascii())
            assert changed != unchanging, (kind, course, name)


@pytest.mark.parametrize("kind", sample.KINDS)
def test_a_mutator_given_a_member_another_mutation_broke_leaves_it_as_it_is_or_mutates_it(kind):
    # Found by the long profile: tar_layout on a tarball whose gzip stream has a stray byte at
    # 254 (tarfile then lists only the first two files, without the grading policy).
    original = sample.member_bytes(kind, sample.courses_of(kind)[0])
    for broken in (original[: len(original) // 2], original[:254] + b"\x80" + original[254:]):
        for name in applicable(sample.category(kind)):
            for seed in range(10):
                data, _notes = mutate(name, broken, random.Random(seed))  # raises nothing
                assert isinstance(data, bytes), (name, seed)


def test_a_case_is_replayed_from_its_id_alone():
    for case in import_cases("auth_user", 30, seed=7) + import_cases("forum", 30, seed=7):
        assert Case.parse(case.id) == case
        first, again = mutated(case), mutated(Case.parse(case.id))
        assert (first.data, first.notes, first.container) == (again.data, again.notes, again.container)


def test_the_quick_profile_tries_every_mutator_on_some_kind():
    count = profile.import_case_count
    tried = {
        case.mutator for kind in sample.KINDS for case in import_cases(kind, count(kind), seed=profile.SEED)
    }
    assert tried == {name for kind in sample.KINDS for name in applicable(sample.category(kind))}
