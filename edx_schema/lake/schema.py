"""The lake's tables: an Arrow schema and a partitioning for every model, derived from the model.

One description serves the exporter (rows from the database), the Spark job (rows decoded from a
package) and the readers' tests, so that the three cannot disagree about a column's type:

- integers stay integers (``int32`` or ``int64``, as wide as the column), booleans booleans,
  floats ``float64``;
- timestamps are UTC with microseconds (``timestamp[us, tz=UTC]``), dates ``date32``;
- everything else is a string: course and usage keys as the database stores them (not parsed
  and printed again), JSON as its stored text, UUIDs and IP addresses as text;
- every column is nullable in Arrow but NULL and ``''`` stay distinct: an empty string is
  written as one.

Course tables are partitioned by course (Hive style, ``course=<escaped key>``), the tracking
events by org and day (``org=…/date=YYYY-MM-DD``); other tables are written whole. A partition
column is an extra column of the path only: each file also holds its rows' own ``course_id``,
so a reader that ignores partitions loses nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
from django.apps import apps
from django.db import models

#: Arrow types of Django's integer fields, by the width of the column they make.
_INT64 = (models.BigIntegerField, models.BigAutoField, models.PositiveBigIntegerField)
_INT32 = (models.IntegerField, models.AutoField, models.SmallIntegerField)
#: Characters Hive (and Spark's ``escapePathName``) %-escape in a partition value: ``:`` would
#: make a Hadoop path absolute, ``/`` a directory, ``=`` a second partition.
_ESCAPED = frozenset([chr(code) for code in range(1, 32)] + list("\"#%'*/:=?\\\x7f{[]^"))
DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"

COURSE = "course"
ORG, DATE = "org", "date"
EVENTS_TABLE = "edx_schema_trackingevent"


@dataclass(frozen=True)
class Column:
    """One column of a lake table: its name (the database column), Arrow type and model field."""

    name: str
    type: pa.DataType
    field: models.Field


@dataclass(frozen=True)
class LakeTable:
    """A model as a lake table: its columns and how its files are partitioned."""

    model: type[models.Model]
    columns: tuple[Column, ...]
    partition_by: tuple[str, ...]  # () or (COURSE,) or (ORG, DATE)
    course_column: str | None  # the column a course partition comes from

    @property
    def name(self) -> str:
        return self.model._meta.db_table

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(column.name, column.type) for column in self.columns])

    @property
    def order_by(self) -> str:
        """The column rows are written in order of, so that an export is the same bytes twice."""
        return self.model._meta.pk.column


def arrow_type(field: models.Field) -> pa.DataType:
    """The Arrow type of a model field's column (a foreign key takes its target's)."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(target, models.BooleanField):
        return pa.bool_()
    if isinstance(target, _INT64) or target.get_internal_type() in {"BigAutoField", "BigIntegerField"}:
        return pa.int64()
    if isinstance(target, models.PositiveIntegerField):  # unsigned: values up to 2**32 - 1
        return pa.int64()
    if isinstance(target, _INT32):
        return pa.int32()
    if isinstance(target, models.FloatField):
        return pa.float64()
    if isinstance(target, models.DateTimeField):
        return pa.timestamp("us", tz="UTC")
    if isinstance(target, models.DateField):
        return pa.date32()
    if isinstance(target, models.DecimalField):
        return pa.decimal128(target.max_digits, target.decimal_places)
    return pa.string()  # text, keys, JSON, UUIDs, IP addresses: as stored


def lake_table(model: type[models.Model]) -> LakeTable:
    """The lake table of ``model``."""
    fields = model._meta.concrete_fields
    columns = tuple(Column(field.column, arrow_type(field), field) for field in fields)
    # A course key column, not a foreign key that happens to be called course_id (credit
    # eligibility's points at credit_creditcourse's integer id).
    keys = {column.name for column in columns if pa.types.is_string(column.type)}
    if model._meta.db_table == EVENTS_TABLE:
        return LakeTable(model, columns, (ORG, DATE), None)
    for candidate in ("course_id", "course_key"):
        if candidate in keys:
            return LakeTable(model, columns, (COURSE,), candidate)
    return LakeTable(model, columns, (), None)


def lake_tables() -> list[LakeTable]:
    """Every table of the lake, in table-name order: the app's models and ``auth_user``."""
    models_ = [*apps.get_app_config("edx_schema").get_models(include_auto_created=True)]
    models_.append(apps.get_model("auth", "User"))
    return sorted((lake_table(model) for model in models_), key=lambda table: table.name)


def partition_value(value: Any) -> str:
    """A partition's value as a path segment, escaped as Hive and Spark escape it (so a Spark
    ``partitionBy`` writes the same paths); NULL and ``''`` both go to Hive's default partition,
    the rows' own column telling them apart."""
    if value is None or value == "":
        return DEFAULT_PARTITION
    return "".join(f"%{ord(char):02X}" if char in _ESCAPED else char for char in str(value))


def partition_text(segment: str) -> str | None:
    """The value a path segment written by :func:`partition_value` stands for (None: default)."""
    return None if segment == DEFAULT_PARTITION else unquote(segment)


def column_array(values: Sequence[Any], column: Column) -> pa.Array:
    """A column's values as an Arrow array of its lake type, from either source: the database's
    values (datetimes, naive in UTC on MySQL) or an import's converted text (``YYYY-MM-DD
    HH:MM:SS[.ffffff]``, ``0``/``1`` booleans). UUIDs are written in their canonical form
    (``8-4-4-4-12``, lower case), which MariaDB stores and SQLite does not."""
    type_ = column.type
    if isinstance(column.field, models.UUIDField):
        return pa.array([None if value is None else str(uuid.UUID(str(value))) for value in values], type_)
    first = next((value for value in values if value is not None), None)
    if isinstance(first, str) and (pa.types.is_timestamp(type_) or pa.types.is_date(type_)):
        # Parsed by Arrow, in C: the text is the canonical form the converters checked.
        naive = pa.timestamp("us") if pa.types.is_timestamp(type_) else type_
        return pa.array(values, pa.string()).cast(naive).cast(type_)
    # Whole columns in C where the values allow it (text is text, a datetime is naive UTC, a
    # boolean is a bool or MySQL's 0/1), value by value in Python otherwise.
    if pa.types.is_timestamp(type_):
        if isinstance(first, datetime.datetime) and first.tzinfo is None:
            with contextlib.suppress(pa.ArrowException, TypeError, ValueError):
                return pa.array(values, pa.timestamp("us")).cast(type_)
        values = [_utc(value) for value in values]
    elif pa.types.is_boolean(type_):
        if isinstance(first, int):
            with contextlib.suppress(pa.ArrowException, TypeError, ValueError):
                source = type_ if isinstance(first, bool) else pa.int64()  # bool, or MySQL's 0/1
                return pa.array(values, source).cast(type_)
        values = [None if value is None else bool(value) for value in values]
    elif pa.types.is_string(type_):
        with contextlib.suppress(pa.ArrowException, TypeError, ValueError):
            return pa.array(values, type_)  # str values (or None) only
        values = [None if value is None else str(value) for value in values]
    return pa.array(values, type_)


def _utc(value: Any) -> Any:
    """A datetime as Arrow takes it: aware (naive values are the database's UTC)."""
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value
