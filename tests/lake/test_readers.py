"""The lake read back by the engines a team moves to: Spark SQL (local mode) and ClickHouse's own
engine (chdb) give every row of every table exactly as the database holds it."""

from __future__ import annotations

import datetime

import chdb
import pytest

from edx_schema.lake.export import MANIFEST, export_lake
from edx_schema.lake.schema import lake_tables
from tests.lake.conftest import by_primary_key, plain, stored

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lake(imported, tmp_path):
    out = tmp_path / "lake"
    result = export_lake(out=out)
    assert (out / MANIFEST).exists()
    return out, result


def test_spark_sql_reads_every_row_of_every_table(lake, spark):
    out, result = lake
    for table in lake_tables():
        if table.name not in result.tables:
            continue
        frame = spark.read.option("basePath", str(out / table.name)).parquet(str(out / table.name))
        names = [column.name for column in table.columns]
        assert frame.columns[: len(names)] == names, table.name
        # Partition columns come from the paths, decoded: each is its rows' own column.
        if table.partition_by == ("course",):
            mismatched = frame.filter(f"coalesce(course, '') <> coalesce({table.course_column}, '')").count()
            assert mismatched == 0, table.name
        frame.createOrReplaceTempView("t")
        rows = spark.sql(f"SELECT {', '.join(f'`{name}`' for name in names)} FROM t").collect()
        read = [
            tuple(_spark_value(value, column) for value, column in zip(row, table.columns, strict=True))
            for row in rows
        ]
        assert by_primary_key(table, read) == stored(table), table.name


def _spark_value(value, column):
    """Spark gives timestamps as naive datetimes in the session's zone (UTC here)."""
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=datetime.UTC)
    return plain(value, column)


def test_clickhouse_reads_every_row_of_every_table(lake):
    out, result = lake
    for table in lake_tables():
        if table.name not in result.tables:
            continue
        files = f"{out}/{table.name}/" + "/".join(["*"] * len(table.partition_by) + ["*.parquet"])
        names = ", ".join(f"`{column.name}`" for column in table.columns)
        arrow = chdb.query(f"SELECT {names} FROM file('{files}', Parquet)", "ArrowTable")
        read = [
            tuple(plain(value, column) for value, column in zip(row.values(), table.columns, strict=True))
            for row in arrow.to_pylist()
        ]
        assert by_primary_key(table, read) == stored(table), table.name
