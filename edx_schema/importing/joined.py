"""Members whose rows are a join or a projection: they fill their tables through a natural key.

The exporter writes some tables without their ids, or with a name where the LMS keeps an id
(package_tables §2.4 to 2.8):

* ``django_comment_client_role_users``: ``course_id user_id name``, the role by its name;
* ``course_groups_cohortmembership``: ``user_id course_id group_type name``, the cohort by its name;
* ``verify_student_verificationstatus``: ``timestamp status course_id checkpoint_location user_id``;
* ``credit_crediteligibility``: its ``course_id`` is the course key, not the credit course's id.

Each file is read, checked and converted like any table member (same errors, rejects and
counts), into a temporary table keyed on the member's natural key (``stage.py``). A few
set-based statements then make the rows it names that do not exist yet (a role, a cohort, a
checkpoint, a credit course), upsert the member's own table on the natural key, and replace
the course's set where the file is the course's full set (forum roles, cohort memberships):
running the same week's file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.apps import apps
from django.db import models

from ..errors import FormatError
from ..package.tsv import TsvReader
from .backends import Backend
from .rows import LoadCounts, LoadOptions, RowPlan, RowStream
from .snapshot import report_dangling, report_repeats
from .stage import LINE, Stage, staged
from .tables import TableSpec


@dataclass
class Apply:
    """What a member's set-based step works with."""

    stage: Stage
    cursor: Any
    course_id: str | None
    counts: LoadCounts
    rows: RowStream

    @property
    def backend(self) -> Backend:
        return self.stage.backend

    def sql(self, text: str) -> str:
        """``text`` with ``{stage}`` and ``{table_name}`` (a model's table, by label) filled in."""
        names = {"stage": self.stage.name}
        for model in apps.get_app_config("edx_schema").get_models():
            names[model._meta.db_table] = self.stage.q(model._meta.db_table)
        return text.format(**names)

    def run(self, text: str, params: tuple = ()) -> int:
        """Run ``text`` (names in braces filled in by :meth:`sql`); the rows it wrote."""
        return self.execute(self.sql(text), params)

    def execute(self, sql: str, params: tuple = ()) -> int:
        self.cursor.execute(sql, params)
        return self.cursor.rowcount

    def insert_new(self, table: str, columns: list[str], source: str, params: tuple = ()) -> int:
        """Insert the rows of ``source`` whose unique values ``table`` lacks; how many it did.

        ``source`` must have a WHERE clause (SQLite would read ON CONFLICT as a join's ON).
        """
        return self.execute(self.backend.insert_new_sql(table, columns, source=source), params)

    def upsert(self, table: str, columns: list[str], *, key: tuple[str, ...], source: str) -> int:
        """Set the non-key ``columns`` of the (existing) rows of ``source``; how many changed."""
        update = [c for c in columns if c not in key]
        sql = self.backend.upsert_sql(
            table, columns, key=key, update=update, source=source, only_changed=True
        )
        return self.backend.changed_rows(self.execute(sql), self.stage.count(self.cursor))

    def lock(self, select: str) -> None:
        """Hold the rows ``select`` reads (and the gaps between them) until the member commits:
        two imports of one course make its rows one after the other."""
        sql = self.backend.lock_sql(self.sql(select))
        if sql is not None:
            self.cursor.execute(sql)
            self.cursor.fetchall()

    def counted(self, *, inserted: int, updated: int = 0) -> None:
        """The member's counts: every staged row was inserted, updated or found unchanged."""
        self.counts.inserted, self.counts.updated = inserted, updated
        self.counts.unchanged = self.stage.count(self.cursor) - inserted - updated

    def sweep(self, table: str, *, scope: str, present: str) -> None:
        """Delete the course's rows of ``table`` that the file no longer has (a full set)."""
        if self.course_id is None:
            self.counts.warnings.append("rows no longer in this file were not removed: its course is unknown")
            return
        deleted, _none = self.stage.sweep(
            self.cursor, table, scope=self.sql(scope), course_id=self.course_id, present=self.sql(present)
        )
        self.counts.deleted += deleted


@dataclass(frozen=True)
class Joined:
    """One join member: its file's columns (header -> ``app_label.Model.field``), key and step."""

    token: str
    table: str
    columns: dict[str, str]
    key: tuple[str, ...]
    apply: Callable[[Apply], None]

    def spec(self) -> TableSpec:
        """The member's file as a table spec: each header column converted as its field's values."""
        fields: dict[str, models.Field] = {}
        for header, path in self.columns.items():
            model_name, field_name = path.rsplit(".", 1)
            fields[header] = apps.get_model("edx_schema", model_name)._meta.get_field(field_name)
        model = apps.get_model("edx_schema", self.columns[self.key[0]].split(".")[0])
        return TableSpec(table=self.table, model=model, key=self.key, fields=fields)


def _forum_roles(step: Apply) -> None:
    # The LMS has no unique key on (course_id, name): a role is found, or made, by both, with the
    # course's roles locked so that two imports of the course cannot both make one.
    step.lock(
        "SELECT r.id FROM {django_comment_client_role} r "
        "WHERE r.course_id IN (SELECT DISTINCT s.course_id FROM {stage} s)"
    )
    step.run(
        "INSERT INTO {django_comment_client_role} (name, course_id) SELECT DISTINCT s.name, s.course_id "
        "FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {django_comment_client_role} r "
        "WHERE r.course_id = s.course_id AND r.name = s.name)"
    )
    inserted = step.insert_new(
        "django_comment_client_role_users",
        ["role_id", "user_id"],
        step.sql(
            "SELECT r.id, s.user_id FROM {stage} s JOIN {django_comment_client_role} r "
            "ON r.course_id = s.course_id AND r.name = s.name WHERE 1 = 1"
        ),
    )
    step.counted(inserted=inserted)
    step.sweep(
        "django_comment_client_role_users",
        scope="role_id IN (SELECT id FROM {django_comment_client_role} WHERE course_id = %s)",
        present=(
            "SELECT 1 FROM {stage} s JOIN {django_comment_client_role} r ON r.course_id = s.course_id "
            "AND r.name = s.name WHERE r.id = {django_comment_client_role_users}.role_id "
            "AND s.user_id = {django_comment_client_role_users}.user_id"
        ),
    )


def _cohorts(step: Apply) -> None:
    step.insert_new(
        "course_groups_courseusergroup",
        ["name", "course_id", "group_type"],
        step.sql(
            "SELECT s.name, s.course_id, MAX(s.group_type) FROM {stage} s "
            "WHERE 1 = 1 GROUP BY s.name, s.course_id"
        ),
    )
    columns = ["course_id", "course_user_group_id", "user_id"]
    source = step.sql(
        "SELECT s.course_id, g.id, s.user_id FROM {stage} s JOIN {course_groups_courseusergroup} g "
        "ON g.name = s.name AND g.course_id = s.course_id WHERE 1 = 1"
    )
    inserted = step.insert_new("course_groups_cohortmembership", columns, source)
    # Then the learners who moved: their membership takes the staged cohort.
    updated = step.upsert(
        "course_groups_cohortmembership", columns, key=("user_id", "course_id"), source=source
    )
    step.counted(inserted=inserted, updated=updated)
    step.sweep(
        "course_groups_cohortmembership",
        scope="course_id = %s",
        present=(
            "SELECT 1 FROM {stage} s WHERE s.user_id = {course_groups_cohortmembership}.user_id "
            "AND s.course_id = {course_groups_cohortmembership}.course_id"
        ),
    )
    _cohort_users(step)


def _cohort_users(step: Apply) -> None:
    """Keep the LMS's ``CourseUserGroup.users`` link table in step with the memberships, as
    ``CohortMembership.save()`` does, for the member's course and every course its rows name."""

    def courses(column: str) -> str:
        return f"({column} = %s OR {column} IN (SELECT s.course_id FROM {{stage}} s))"

    params = (step.course_id or "",)
    step.run(
        "DELETE FROM {course_groups_courseusergroup_users} WHERE courseusergroup_id IN "
        f"(SELECT id FROM {{course_groups_courseusergroup}} WHERE {courses('course_id')}) AND NOT EXISTS "
        "(SELECT 1 FROM {course_groups_cohortmembership} m "
        "WHERE m.course_user_group_id = {course_groups_courseusergroup_users}.courseusergroup_id "
        "AND m.user_id = {course_groups_courseusergroup_users}.user_id)",
        params,
    )
    step.insert_new(
        "course_groups_courseusergroup_users",
        ["courseusergroup_id", "user_id"],
        step.sql(
            "SELECT m.course_user_group_id, m.user_id FROM {course_groups_cohortmembership} m "
            f"WHERE {courses('m.course_id')}"
        ),
        params,
    )


def _verification(step: Apply) -> None:
    # Append-only in the LMS: a status is never changed or removed, only added. No unique key
    # either: the course's checkpoints are locked while the new statuses are found and added.
    at_checkpoint = "c.course_id = s.course_id AND c.checkpoint_location = s.checkpoint_location"
    step.insert_new(
        "verify_student_verificationcheckpoint",
        ["course_id", "checkpoint_location"],
        step.sql("SELECT DISTINCT s.course_id, s.checkpoint_location FROM {stage} s WHERE 1 = 1"),
    )
    step.lock(
        "SELECT c.id FROM {verify_student_verificationcheckpoint} c "
        "WHERE c.course_id IN (SELECT DISTINCT s.course_id FROM {stage} s)"
    )
    inserted = step.run(
        "INSERT INTO {verify_student_verificationstatus} (status, timestamp, checkpoint_id, user_id) "
        "SELECT s.status, s.timestamp, c.id, s.user_id FROM {stage} s "
        f"JOIN {{verify_student_verificationcheckpoint}} c ON {at_checkpoint} "
        "WHERE NOT EXISTS (SELECT 1 FROM {verify_student_verificationstatus} v WHERE v.checkpoint_id = c.id "
        "AND v.user_id = s.user_id AND v.status = s.status AND v.timestamp = s.timestamp)"
    )
    step.counted(inserted=inserted)


def _credit(step: Apply) -> None:
    # ``enabled`` is not exported: a course with eligible learners offers credit.
    step.insert_new(
        "credit_creditcourse",
        ["course_key", "enabled"],
        step.sql("SELECT DISTINCT s.course_key, %s FROM {stage} s WHERE 1 = 1"),
        (True,),
    )
    _refuse_taken_usernames(step)
    columns = ["id", "created", "modified", "username", "deadline", "course_id"]
    source = step.sql(
        "SELECT s.id, s.created, s.modified, s.username, s.deadline, c.id FROM {stage} s "
        "JOIN {credit_creditcourse} c ON c.course_key = s.course_key WHERE 1 = 1"
    )
    inserted = step.insert_new("credit_crediteligibility", columns, source)
    updated = step.upsert("credit_crediteligibility", columns, key=("id",), source=source)
    step.counted(inserted=inserted, updated=updated)


def _refuse_taken_usernames(step: Apply) -> None:
    """A row whose (username, course) another eligibility id holds is a row error (UNIQUE): an
    earlier line of the file, or a row already stored."""
    label = step.rows.plan.label
    while True:  # in line order: of two lines with the same username and course, the later is refused
        step.cursor.execute(
            step.sql(
                f"SELECT MAX(s.{LINE}), s.username, MIN(s.{LINE}) FROM {{stage}} s "
                "GROUP BY s.username, s.course_key HAVING COUNT(*) > 1"
            )
        )
        repeated = step.cursor.fetchall()
        if not repeated:
            break
        for line, username, first in repeated:
            message = f"line {first} of this file has this username and course already (unique)"
            step.rows.reject(
                FormatError(message, file=label, line=line, column="username", value=username), []
            )
            step.run(f"DELETE FROM {{stage}} WHERE {LINE} = %s", (line,))
    step.cursor.execute(
        step.sql(
            f"SELECT s.{LINE}, s.username, e.id FROM {{stage}} s "
            "JOIN {credit_creditcourse} c ON c.course_key = s.course_key "
            "JOIN {credit_crediteligibility} e ON e.username = s.username AND e.course_id = c.id "
            f"WHERE e.id <> s.id ORDER BY s.{LINE}"
        )
    )
    taken = step.cursor.fetchall()
    for line, username, other in taken:
        message = f"another row of credit_crediteligibility (id {other}) already has this username and course"
        step.rows.reject(
            FormatError(message, file=step.rows.plan.label, line=line, column="username", value=username), []
        )
    for line, _username, _other in taken:
        step.run(f"DELETE FROM {{stage}} WHERE {LINE} = %s", (line,))


#: The join members, by their table token.
JOINED: dict[str, Joined] = {
    member.token: member
    for member in (
        Joined(
            token="django_comment_client_role_users",
            table="django_comment_client_role_users",
            columns={
                "course_id": "ForumRole.course_id",
                "user_id": "ForumRoleUser.user",
                "name": "ForumRole.name",
            },
            key=("course_id", "name", "user_id"),
            apply=_forum_roles,
        ),
        Joined(
            token="course_groups_cohortmembership",
            table="course_groups_cohortmembership",
            columns={
                "user_id": "CohortMembership.user",
                "course_id": "CohortMembership.course_id",
                "group_type": "CourseUserGroup.group_type",
                "name": "CourseUserGroup.name",
            },
            key=("user_id", "course_id"),
            apply=_cohorts,
        ),
        Joined(
            token="verify_student_verificationstatus",
            table="verify_student_verificationstatus",
            columns={
                "timestamp": "VerificationStatus.timestamp",
                "status": "VerificationStatus.status",
                "course_id": "VerificationCheckpoint.course_id",
                "checkpoint_location": "VerificationCheckpoint.checkpoint_location",
                "user_id": "VerificationStatus.user",
            },
            key=("user_id", "course_id", "checkpoint_location", "status", "timestamp"),
            apply=_verification,
        ),
        Joined(
            token="credit_crediteligibility",
            table="credit_crediteligibility",
            columns={
                "id": "CreditEligibility.id",
                "created": "CreditEligibility.created",
                "modified": "CreditEligibility.modified",
                "username": "CreditEligibility.username",
                "deadline": "CreditEligibility.deadline",
                "course_id": "CreditCourse.course_key",
            },
            key=("id",),
            apply=_credit,
        ),
    )
}


def load_joined(
    *,
    open_stream: Callable[[], AbstractContextManager[BinaryIO]],
    member: Joined,
    label: str,
    options: LoadOptions,
    course_id: str | None,
) -> LoadCounts:
    """Load one join member inside the caller's transaction; its counts."""
    spec = member.spec()
    counts = LoadCounts()
    with open_stream() as stream:
        reader = TsvReader(stream, file=label, tolerant=options.skip_bad_rows)
        if not reader.header:
            return counts  # zero-length: says nothing, changes nothing
        plan = RowPlan(spec, reader.header, label=label)
        by_column = {f.column: f for f in spec.fields.values()}
        for header, f in spec.fields.items():
            if f.column not in plan.file_columns:
                raise plan.lacks(header, "its rows are matched by it")
        counts.unknown_columns = plan.unknown
        rows = RowStream(reader, plan, options, counts)
        with staged(member.token, {c: by_column[c] for c in plan.all_columns}, key=member.key) as (
            stage,
            cursor,
        ):
            stage.fill(cursor, iter(rows))
            report_repeats(stage, cursor, counts)
            report_dangling(stage, cursor, spec.unconstrained_references(list(spec.fields)), counts)
            member.apply(Apply(stage, cursor, course_id or counts.course_id, counts, rows))
    return counts
