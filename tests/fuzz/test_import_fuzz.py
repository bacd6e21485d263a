"""Whole imports of packages with one mutated member, in this process (``call_command``).

For each member kind: the clean member first (the harness's own check), then the quick
profile's mutated ones, each in a savepoint rolled back afterwards, so that one test database
serves them all. Every failing case is listed with its mutation, seed and replay command.
"""

from __future__ import annotations

import tracemalloc

import pytest

from . import profile, sample
from .harness import Case, Runner, import_cases, mutated, report

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]


def _cases(kind: str) -> list[Case]:
    if profile.REPLAY:
        case = Case.parse(profile.REPLAY)
        return [case] if case.kind == kind and not case.inflated else []
    return import_cases(kind, profile.import_case_count(kind), seed=profile.SEED)


@pytest.mark.parametrize("kind", sample.KINDS)
def test_an_import_with_a_mutated_member_fails_cleanly_or_loads_it_whole(kind, tmp_path, capfd):
    cases = _cases(kind)
    runner = Runner(kind, tmp_path, capfd)
    tracemalloc.start()
    try:
        for course in sorted({case.course for case in cases} or sample.courses_of(kind)[:1]):
            runner.prepare(course)
        for case in cases:
            if runner.run(mutated(case)).outcome.hung:
                break  # the connection can no longer be trusted
    finally:
        tracemalloc.stop()
    if runner.failures:
        pytest.fail(report(runner.failures, len(cases) + len(runner.expected)), pytrace=False)
