"""The pattern a run of records must match to go to LOAD DATA as written: decided in linear time.

A run that fails late must fail at once. Matched field by field with backtracking, each NULL of
a nullable text column (the word, or text that happens to read NULL) doubles the ways to retry
the lines before: a mutated auth_userprofile line after a few clean ones never finished.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edx_schema.importing.rows import RowPlan
from edx_schema.importing.tables import table_spec
from edx_schema.importing.verbatim import verbatim_pattern

ROOT = Path(__file__).resolve().parents[2]
# Only a guard against a hang: the match itself takes milliseconds.
HANG_SECONDS = 120


def profile_line(number: int, *, user_id: str | None = None) -> str:
    values = []
    for f in table_spec("auth_userprofile").model._meta.concrete_fields:
        if f.null:
            values.append("NULL")
        elif f.column in ("id", "user_id"):
            values.append(str(number) if user_id is None or f.column == "id" else user_id)
        elif f.get_internal_type() in ("CharField", "TextField"):
            values.append("x")
        else:
            values.append("0")
    return "\t".join(values) + "\n"


@pytest.mark.django_db
def test_a_run_of_profiles_full_of_nulls_matches_and_one_bad_line_fails_it():
    spec = table_spec("auth_userprofile")
    plan = RowPlan(spec, tuple(f.column for f in spec.model._meta.concrete_fields), label="profiles")
    pattern = verbatim_pattern(plan)
    clean = "".join(profile_line(n) for n in range(1, 200))
    assert pattern.fullmatch(clean)
    assert not pattern.fullmatch(clean + profile_line(200, user_id="not a number"))


def test_a_run_that_fails_late_fails_without_retrying_the_lines_before():
    script = textwrap.dedent(
        """
        import django
        django.setup()
        from edx_schema.importing.rows import RowPlan
        from edx_schema.importing.tables import table_spec
        from edx_schema.importing.verbatim import verbatim_pattern
        from tests.importing.test_verbatim_pattern import profile_line
        spec = table_spec("auth_userprofile")
        plan = RowPlan(spec, tuple(f.column for f in spec.model._meta.concrete_fields), label="p")
        text = "".join(profile_line(n) for n in range(1, 40)) + profile_line(40, user_id="x")
        print(verbatim_pattern(plan).fullmatch(text) is None)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        env={"DJANGO_SETTINGS_MODULE": "settings.test", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "True", done.stderr
