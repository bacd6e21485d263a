"""The README's two example queries, as each engine the tests have runs them (DuckDB, Spark SQL,
ClickHouse's chdb), on an exported lake: each answers what the database answers."""

from __future__ import annotations

import datetime
import math
import re
from pathlib import Path

import chdb
import duckdb
import pytest
from django.core.management import call_command

from edx_schema.lake.export import export_lake
from edx_schema.models import PersistentCourseGrade, TrackingEvent

pytestmark = pytest.mark.django_db(transaction=True)

COURSE = "course-v1:UniversityX+CS-101x+3T2024"
ENGINES = ("duckdb", "spark", "clickhouse")


def readme_queries(engine: str) -> dict[str, str]:
    """The README's queries for ``engine``, by their comment: the README shows what works."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(rf"```sql\n-- {engine}: (.+?)\n(.+?)```", text, flags=re.S)
    return {name: sql for name, sql in blocks}


def run(engine: str, sql: str, lake: Path, spark) -> list[tuple]:
    sql = sql.replace("'lake/", f"'{lake}/").replace("`lake/", f"`{lake}/").strip().rstrip(";")
    if engine == "duckdb":
        duckdb.sql("SET TimeZone = 'UTC'")  # weeks of UTC days, as the database's
        return duckdb.sql(sql).fetchall()
    if engine == "spark":
        return [tuple(row) for row in spark.sql(sql).collect()]
    return [tuple(row.values()) for row in chdb.query(sql, "ArrowTable").to_pylist()]


def _day(value):
    return value.date() if isinstance(value, datetime.datetime) else value


@pytest.fixture
def lake(imported, tmp_path):
    call_command("recompute_grades", "--all", verbosity=0)
    out = tmp_path / "lake"
    export_lake(out=out)
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_the_readmes_queries_answer_what_the_database_answers(lake, engine, request):
    spark = request.getfixturevalue("spark") if engine == "spark" else None
    queries = readme_queries(engine)
    assert set(queries) == {"grade distribution", "weekly active learners"}

    buckets: dict[float, int] = {}
    for percent in PersistentCourseGrade.objects.filter(course_id=COURSE).values_list(
        "percent_grade", flat=True
    ):
        bucket = math.floor(percent * 10) / 10
        buckets[bucket] = buckets.get(bucket, 0) + 1
    distribution = [
        (float(grade), learners)
        for grade, learners in run(engine, queries["grade distribution"], lake, spark)
    ]
    assert distribution == sorted(buckets.items())
    assert sum(buckets.values()) > 0

    weeks: dict[datetime.date, set[int]] = {}
    events = TrackingEvent.objects.filter(course_id=COURSE, user_id__isnull=False)
    for time, user_id in events.values_list("time", "user_id"):
        monday = time.date() - datetime.timedelta(days=time.weekday())
        weeks.setdefault(monday, set()).add(user_id)
    active = [
        (_day(week), learners)
        for week, learners in run(engine, queries["weekly active learners"], lake, spark)
    ]
    assert active == sorted((week, len(users)) for week, users in weeks.items())
    assert weeks
