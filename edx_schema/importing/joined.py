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

    def value(self, text: str, params: tuple = ()) -> int:
        self.cursor.execute(self.sql(text), params)
        return self.cursor.fetchone()[0] or 0

    def run(self, text: str, params: tuple = ()) -> int:
        self.cursor.execute(self.sql(text), params)
        return self.cursor.rowcount

    def classify(self, *, exists: str, same: str | None = None) -> None:
        """Count the staged rows that are new, unchanged or changed, before they are applied.

        ``exists`` finds a staged row ``s`` in the tables (by its natural key), ``same`` finds it
        with the values it has (None: the key is all there is, so an existing row is unchanged).
        """
        total = self.stage.count(self.cursor)
        self.counts.inserted = self.value(f"SELECT COUNT(*) FROM {{stage}} s WHERE NOT EXISTS ({exists})")
        present = total - self.counts.inserted
        if same is None:
            self.counts.unchanged = present
        else:
            self.counts.unchanged = self.value(f"SELECT COUNT(*) FROM {{stage}} s WHERE EXISTS ({same})")
        self.counts.updated = present - self.counts.unchanged

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
    in_roles = (
        "SELECT 1 FROM {django_comment_client_role} r JOIN {django_comment_client_role_users} u "
        "ON u.role_id = r.id WHERE r.course_id = s.course_id AND r.name = s.name AND u.user_id = s.user_id"
    )
    step.classify(exists=in_roles)
    # The LMS has no unique key on (course_id, name): a role is found, or made, by both.
    step.run(
        "INSERT INTO {django_comment_client_role} (name, course_id) SELECT DISTINCT s.name, s.course_id "
        "FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {django_comment_client_role} r "
        "WHERE r.course_id = s.course_id AND r.name = s.name)"
    )
    step.run(
        "INSERT INTO {django_comment_client_role_users} (role_id, user_id) SELECT r.id, s.user_id "
        "FROM {stage} s JOIN {django_comment_client_role} r ON r.course_id = s.course_id AND r.name = s.name "
        "WHERE NOT EXISTS (SELECT 1 FROM {django_comment_client_role_users} u "
        "WHERE u.role_id = r.id AND u.user_id = s.user_id)"
    )
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
    step.classify(
        exists=(
            "SELECT 1 FROM {course_groups_cohortmembership} m "
            "WHERE m.user_id = s.user_id AND m.course_id = s.course_id"
        ),
        same=(
            "SELECT 1 FROM {course_groups_cohortmembership} m JOIN {course_groups_courseusergroup} g "
            "ON g.id = m.course_user_group_id "
            "WHERE m.user_id = s.user_id AND m.course_id = s.course_id AND g.name = s.name"
        ),
    )
    step.run(
        "INSERT INTO {course_groups_courseusergroup} (name, course_id, group_type) "
        "SELECT s.name, s.course_id, MAX(s.group_type) FROM {stage} s "
        "WHERE NOT EXISTS (SELECT 1 FROM {course_groups_courseusergroup} g "
        "WHERE g.name = s.name AND g.course_id = s.course_id) GROUP BY s.name, s.course_id"
    )
    step.run(
        step.backend.upsert_sql(
            "course_groups_cohortmembership",
            ["course_id", "course_user_group_id", "user_id"],
            key=("user_id", "course_id"),
            update=["course_user_group_id"],
            # WHERE: without one, SQLite would read ON CONFLICT as the join's ON.
            source=(
                "SELECT s.course_id, g.id, s.user_id FROM {stage} s JOIN {course_groups_courseusergroup} g "
                "ON g.name = s.name AND g.course_id = s.course_id WHERE 1 = 1"
            ),
        )
    )
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
    ``CohortMembership.save()`` does."""
    if step.course_id is None:
        return
    step.run(
        "DELETE FROM {course_groups_courseusergroup_users} WHERE courseusergroup_id IN "
        "(SELECT id FROM {course_groups_courseusergroup} WHERE course_id = %s) AND NOT EXISTS "
        "(SELECT 1 FROM {course_groups_cohortmembership} m "
        "WHERE m.course_user_group_id = {course_groups_courseusergroup_users}.courseusergroup_id "
        "AND m.user_id = {course_groups_courseusergroup_users}.user_id)",
        (step.course_id,),
    )
    step.run(
        "INSERT INTO {course_groups_courseusergroup_users} (courseusergroup_id, user_id) "
        "SELECT m.course_user_group_id, m.user_id FROM {course_groups_cohortmembership} m "
        "WHERE m.course_id = %s AND NOT EXISTS (SELECT 1 FROM {course_groups_courseusergroup_users} u "
        "WHERE u.courseusergroup_id = m.course_user_group_id AND u.user_id = m.user_id)",
        (step.course_id,),
    )


def _verification(step: Apply) -> None:
    # Append-only in the LMS: a status is never changed or removed, only added.
    at_checkpoint = "c.course_id = s.course_id AND c.checkpoint_location = s.checkpoint_location"
    step.classify(
        exists=(
            "SELECT 1 FROM {verify_student_verificationstatus} v "
            "JOIN {verify_student_verificationcheckpoint} c "
            f"ON c.id = v.checkpoint_id WHERE {at_checkpoint} AND v.user_id = s.user_id "
            "AND v.status = s.status AND v.timestamp = s.timestamp"
        )
    )
    step.run(
        "INSERT INTO {verify_student_verificationcheckpoint} (course_id, checkpoint_location) "
        "SELECT DISTINCT s.course_id, s.checkpoint_location FROM {stage} s WHERE NOT EXISTS "
        f"(SELECT 1 FROM {{verify_student_verificationcheckpoint}} c WHERE {at_checkpoint})"
    )
    step.run(
        "INSERT INTO {verify_student_verificationstatus} (status, timestamp, checkpoint_id, user_id) "
        "SELECT s.status, s.timestamp, c.id, s.user_id FROM {stage} s "
        f"JOIN {{verify_student_verificationcheckpoint}} c ON {at_checkpoint} "
        "WHERE NOT EXISTS (SELECT 1 FROM {verify_student_verificationstatus} v WHERE v.checkpoint_id = c.id "
        "AND v.user_id = s.user_id AND v.status = s.status AND v.timestamp = s.timestamp)"
    )


def _credit(step: Apply) -> None:
    # ``enabled`` is not exported: a course with eligible learners offers credit.
    step.run(
        "INSERT INTO {credit_creditcourse} (course_key, enabled) SELECT DISTINCT s.course_key, %s "
        "FROM {stage} s WHERE NOT EXISTS "
        "(SELECT 1 FROM {credit_creditcourse} c WHERE c.course_key = s.course_key)",
        (True,),
    )
    _refuse_taken_usernames(step)
    step.classify(
        exists="SELECT 1 FROM {credit_crediteligibility} e WHERE e.id = s.id",
        same=(
            "SELECT 1 FROM {credit_crediteligibility} e JOIN {credit_creditcourse} c ON c.id = e.course_id "
            "WHERE e.id = s.id AND e.created = s.created AND e.modified = s.modified "
            "AND e.username = s.username AND e.deadline = s.deadline AND c.course_key = s.course_key"
        ),
    )
    columns = ["id", "created", "modified", "username", "deadline", "course_id"]
    step.run(
        step.backend.upsert_sql(
            "credit_crediteligibility",
            columns,
            key=("id",),
            update=columns[1:],
            source=(
                "SELECT s.id, s.created, s.modified, s.username, s.deadline, c.id FROM {stage} s "
                "JOIN {credit_creditcourse} c ON c.course_key = s.course_key WHERE 1 = 1"
            ),
        )
    )


def _refuse_taken_usernames(step: Apply) -> None:
    """A row whose (username, course) another eligibility id holds is a row error (UNIQUE)."""
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


def course_column(token: str) -> str | None:
    """The header column that holds the course key in a join member's file, if it has one."""
    member = JOINED.get(token)
    if member is None:
        return None
    return "course_id" if "course_id" in member.columns else None
