"""Store recomputed course grades: batched upserts, held in a spool file while SQLite is busy.

Plain SQL rather than model instances: building and preparing 100,000 instances (each course
key parsed again) took longer than computing the grades.
"""

from __future__ import annotations

import marshal
import tempfile
from typing import Any

from django.db import connection

from ..importing.backends import backend
from ..models import PersistentCourseGrade

_WRITTEN = ("grading_policy_hash", "percent_grade", "letter_grade", "passed_timestamp", "modified")


class GradeWriter:
    """Upserts course grades in batches; holds them in a temporary file while told to."""

    def __init__(self, *, course_id: str, policy_hash: str, now: Any, dry_run: bool) -> None:
        self.course_id, self.policy_hash, self.dry_run = course_id, policy_hash, dry_run
        self.now = now
        self.stamp = connection.ops.adapt_datetimefield_value(now)
        self.held: Any = None
        self.sql = backend().upsert_sql(
            PersistentCourseGrade._meta.db_table,
            ("user_id", "course_id", "course_version", *_WRITTEN, "created"),
            key=("course_id", "user_id"),
            update=_WRITTEN,
        )

    def hold(self) -> None:
        self.held = tempfile.TemporaryFile(prefix="edx-schema-grades-")  # noqa: SIM115 (closed by release)

    def write(self, grades: list[tuple]) -> None:
        """Write ``(user_id, percent, letter, passed_timestamp)`` rows (or hold them).

        A ``passed_timestamp`` that is ``now`` (most of them) is adapted once, not per row.
        """
        if self.dry_run or not grades:
            return
        adapt, now, stamp = connection.ops.adapt_datetimefield_value, self.now, self.stamp
        course_id, policy_hash = self.course_id, self.policy_hash
        params = [
            (
                user_id,
                course_id,
                "",
                policy_hash,
                percent,
                letter,
                stamp if passed is now else None if passed is None else adapt(passed),
                stamp,
                stamp,
            )
            for user_id, percent, letter, passed in grades
        ]
        if self.held is not None:
            marshal.dump(params, self.held)
        else:
            self._upsert(params)

    def release(self) -> None:
        """Write what was held, and write directly from now on."""
        held, self.held = self.held, None
        if held is None:
            return
        with held:
            held.seek(0)
            while True:
                try:
                    params = marshal.load(held)
                except EOFError:
                    break
                self._upsert(params)

    def _upsert(self, params: list[tuple]) -> None:
        """Insert course grades, or update them on (course_id, user_id); ``created`` only on insert."""
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, params)
