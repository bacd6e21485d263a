"""How each loaded package table maps onto its model: header names, converters and upsert keys.

Everything is derived from the models, so the loader and the schema cannot drift apart: a
column's converter comes from its field's type, width and nullability on the target database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from opaque_keys.edx.django.models import CourseKeyField, LearningContextKeyField, UsageKeyField

from ..package import values
from ..package.names import AUTH_USER_ASKBOT_COLUMNS, LOADED_TABLES, member_table
from ..visible_blocks import blocks_hash, blocks_json

# Constant columns the exporter adds to auth_user for the retired Askbot forum (data_package §3.1).
ASKBOT_COLUMNS = frozenset(AUTH_USER_ASKBOT_COLUMNS)

# Header names that differ from the column: user_id_map renamed id to user_id in Oct 2022.
_ALIASES = {"user_id_map": {"user_id": "id"}}
# Tables whose file has no id: they are keyed by their natural unique key.
_NATURAL_KEYS = {
    "grades_persistentcoursegrade": ("course_id", "user_id"),
    "grades_persistentsubsectiongrade": ("course_id", "user_id", "usage_key"),
    # A projection without the id: the LMS's unique key is the natural key.
    "student_courseaccessrole": ("user_id", "org", "course_id", "role"),
}
# Columns whose values are course keys or usage keys, checked with edx-opaque-keys: every opaque
# key field, and course_id wherever it is a plain CharField (submissions): a value that is not
# a key is a broken file.
_COURSE_KEY_COLUMNS = {"course_id"}
# Site-wide rows have course_id '' (a generic anonymous user id, for example).
_BLANK_COURSE_TABLES = {"student_anonymoususerid"}
# Integer columns the obfuscated (RDX) variants write as '' instead of NULL (package_tables §1.5).
_BLANK_NULL_INTEGERS = {"wiki_article": frozenset({"owner_id", "group_id"})}
# The rows of a course that one member's file holds in full: rows of that scope the week's file
# no longer has are deleted (a revoked role, a learner who left a team or changed cohorts).
# Global tables (wiki, the ORA rubric family) and append-only ones are never swept, and ORA
# workflows only grow. ``%s`` is the course key.
_SWEEP_SCOPES = {
    "student_courseaccessrole": "course_id = %s",
    "teams_courseteam": "course_id = %s",
    "teams_courseteammembership": "team_id IN (SELECT id FROM teams_courseteam WHERE course_id = %s)",
    # Learner-level rows, in the file of every course the learner is enrolled in (active or not).
    "student_languageproficiency": (
        "user_profile_id IN (SELECT p.id FROM auth_userprofile p JOIN student_courseenrollment e "
        "ON e.user_id = p.user_id WHERE e.course_id = %s)"
    ),
}
# Rows that refer to a swept row and go with it, as the LMS's ON DELETE CASCADE takes them.
_SWEEP_CASCADES = {"teams_courseteam": (("teams_courseteammembership", "team_id"),)}
# References filled after the rows that hold them (the wiki's article -> its current revision,
# whose file loads next): not counted as dangling when the rows load.
_DEFERRED_REFERENCES = {("wiki_article", "current_revision_id")}
# Tables with unconstrained references whose dangling ids are not counted: counting takes a
# second pass over the file, and these are a package's biggest.
_UNCOUNTED_REFERENCES = {"courseware_studentmodule", "user_id_map"}
# Tables whose ids repeat in real files (the wiki query's urlpath/article id mix-up): the last
# row of an id is kept, and the repeats are reported.
_REPEATING_KEYS = {"wiki_article", "wiki_articlerevision"}


def _model_for_table(table: str) -> type[models.Model]:
    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    raise LookupError(f"no model for table {table}")


@dataclass
class TableSpec:
    """The loading plan of one table, independent of any particular file's header."""

    table: str
    model: type[models.Model]
    key: tuple[str, ...]
    fields: dict[str, models.Field] = field(default_factory=dict)  # header name -> field
    ignored: frozenset[str] = frozenset()
    # Columns filled from another column's value, for every row (column -> (source, function)).
    derived: dict[str, tuple[str, Any]] = field(default_factory=dict)
    # Nullable integer columns where '' means NULL (obfuscated files).
    blank_null: frozenset[str] = frozenset()
    # SQL condition (with %s for the course key) selecting the rows one course's file replaces.
    sweep: str | None = None
    # (table, column) whose rows go with a swept row (ON DELETE CASCADE in the LMS).
    cascade: tuple[tuple[str, str], ...] = ()
    # Report rows whose key repeats an earlier row's (otherwise a repeat is a plain update).
    report_repeats: bool = False

    # Whether an import counts the ids of unconstrained references that point at no row.
    count_dangling: bool = True

    def unconstrained_references(self, columns: list[str]) -> list[tuple[str, str, str]]:
        """``(column, referenced table, referenced column)`` for the FKs among ``columns`` that the
        database does not enforce (ids that may dangle) and that an import counts."""
        if not self.count_dangling:
            return []
        found = []
        for name in columns:
            f = self.fields.get(name)
            if f is None or (self.table, f.column) in _DEFERRED_REFERENCES:
                continue
            if f.is_relation and not f.db_constraint:
                target = f.target_field
                found.append((f.column, target.model._meta.db_table, target.column))
        return found

    def foreign_keys(self, columns: list[str]) -> list[tuple[str, str, str]]:
        """``(column, referenced table, referenced column)`` for the enforced FKs among ``columns``."""
        found = []
        for name in columns:
            f = self.fields.get(name)
            if f is not None and f.is_relation and f.db_constraint:
                target = f.target_field
                found.append((f.column, target.model._meta.db_table, target.column))
        return found


def not_exported_blocks(course_id: str) -> tuple[str, str]:
    """``(hashed, blocks_json)`` of the course's empty block list (see VisibleBlocks.not_exported)."""
    json_value = blocks_json(course_key=course_id, blocks=[])
    return blocks_hash(json_value), json_value


#: The database tables that table members fill.
TABLES: frozenset[str] = frozenset(member_table(token) for token in LOADED_TABLES)


def table_spec(table: str) -> TableSpec:
    """The spec for a table that members of :data:`~edx_schema.package.names.LOADED_TABLES` fill."""
    if table not in TABLES:
        raise LookupError(f"{table} is not a loaded table")
    model = _model_for_table(table)
    fields = {f.column: f for f in model._meta.concrete_fields}
    for header, column in _ALIASES.get(table, {}).items():
        fields[header] = fields[column]
    key = _NATURAL_KEYS.get(table, (model._meta.pk.column,))
    spec = TableSpec(table=table, model=model, key=key, fields=fields)
    if table == "auth_user":
        spec.ignored = ASKBOT_COLUMNS
    if table == "grades_persistentsubsectiongrade":
        spec.derived["visible_blocks_hash"] = ("course_id", lambda course: not_exported_blocks(course)[0])
    if table in _NATURAL_KEYS:
        # The file has no id; the database numbers the rows.
        del spec.fields[model._meta.pk.column]
    spec.blank_null = _BLANK_NULL_INTEGERS.get(table, frozenset())
    spec.sweep = _SWEEP_SCOPES.get(table)
    spec.cascade = _SWEEP_CASCADES.get(table, ())
    spec.report_repeats = table in _REPEATING_KEYS
    spec.count_dangling = table not in _UNCOUNTED_REFERENCES
    return spec


def converter(spec: TableSpec, header: str, connection: BaseDatabaseWrapper) -> values.Converter:
    """The converter for one header column of ``spec`` on ``connection``'s database."""
    f = spec.fields[header]
    nullable = f.null
    internal = f.get_internal_type()
    if f.is_relation:
        internal = f.target_field.get_internal_type()
    if internal in ("AutoField", "BigAutoField", "SmallAutoField") or internal.endswith("IntegerField"):
        range_type = {"AutoField": "IntegerField", "BigAutoField": "BigIntegerField"}.get(internal, internal)
        if range_type == "SmallAutoField":
            range_type = "SmallIntegerField"
        # The ranges of the LMS's MySQL columns, on every backend (SQLite would take anything).
        low, high = BaseDatabaseOperations.integer_field_ranges[range_type]
        blank = header in spec.blank_null
        return values.integer_parser(low=low, high=high, nullable=nullable, blank_is_null=blank)
    if internal == "BooleanField":
        return values.boolean_parser(nullable=nullable)
    if internal == "DateTimeField":
        return values.datetime_parser(nullable=nullable)
    if internal == "FloatField":
        return values.float_parser(nullable=nullable)
    if internal == "UUIDField":
        # MariaDB's native uuid type (Django uses it from 10.7) refuses versions 8 and above.
        native = connection.vendor == "mysql" and connection.features.has_native_uuid_field
        return values.uuid_parser(
            nullable=nullable,
            prepare=lambda u: f.get_db_prep_value(u, connection),
            below_version=8 if native else None,
        )
    max_length = getattr(f, "max_length", None)
    kind = _key_kind(spec, header)
    if kind == "course":
        return values.course_key_parser(
            max_length=max_length, nullable=nullable, blank=spec.table in _BLANK_COURSE_TABLES
        )
    if kind == "usage":
        return values.usage_key_parser(max_length=max_length, nullable=nullable)
    return values.text_parser(max_length=max_length, nullable=nullable)


def _key_kind(spec: TableSpec, header: str) -> str | None:
    """``"course"`` or ``"usage"`` for a column of course or usage keys, else None."""
    f = spec.fields[header]
    if header in _COURSE_KEY_COLUMNS or isinstance(f, CourseKeyField | LearningContextKeyField):
        return "course"
    if isinstance(f, UsageKeyField):
        return "usage"
    return None


def missing_column_value(spec: TableSpec, header: str, connection: BaseDatabaseWrapper) -> Any:
    """The database value every row gets for a column its file lacks: the model default.

    Raises LookupError, saying why, for a column that has no such value: a course or usage key
    (no one key is right for every row, and the empty default is not a key), a NOT NULL column
    without a default, or one whose default is NULL.
    """
    f = spec.fields[header]
    kind = _key_kind(spec, header)
    if kind is not None:
        raise LookupError(f"a column of {kind} keys, which has no default")
    if not (f.null or f.has_default() or f.empty_strings_allowed):
        raise LookupError("it has no default")
    value = f.get_default()
    if value is None and not f.null:
        raise LookupError("it cannot be NULL and has no other default")
    if isinstance(value, bool):
        return int(value)
    return f.get_db_prep_save(value, connection)
