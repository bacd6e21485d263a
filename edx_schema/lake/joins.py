"""The joined members in the Spark job: their staged rows joined into the tables they fill.

What ``importing/joined.py``'s set-based statements do in a database, done by Spark on the rows
the tasks staged (:func:`.convert.join_stage`), member by member in load order:

- forum roles: a role per (course, name); its users, the course's full set (a newer member of
  the course replaces an older one's);
- cohorts: a cohort per (course, name), its type the greatest its first member gives; each
  learner's membership (the course's full set) and the LMS's link table beside it;
- verification: a checkpoint per (course, location); every status, appended;
- credit: a credit course per course key, offering credit; each eligibility by its id, a row
  whose username and course another id holds refused, as the unique key refuses it.

Ids these tables draw are numbered in load order (the row that made them first). They are
small tables (a course's roles, cohorts, checkpoints), numbered in one Spark partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..models import (
    CohortMembership,
    CourseUserGroup,
    CourseUserGroupUsers,
    CreditCourse,
    CreditEligibility,
    ForumRole,
    ForumRoleUser,
    VerificationCheckpoint,
    VerificationStatus,
)
from .convert import LINE_BITS, join_stage, staged_schema, staging_file
from .tasks import Task

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: The tables each joined member fills, by its table token.
JOINED_TABLES: dict[str, tuple[str, ...]] = {
    "django_comment_client_role_users": (ForumRole._meta.db_table, ForumRoleUser._meta.db_table),
    "course_groups_cohortmembership": (
        CourseUserGroup._meta.db_table,
        CohortMembership._meta.db_table,
        CourseUserGroupUsers._meta.db_table,
    ),
    "verify_student_verificationstatus": (
        VerificationCheckpoint._meta.db_table,
        VerificationStatus._meta.db_table,
    ),
    "credit_crediteligibility": (CreditCourse._meta.db_table, CreditEligibility._meta.db_table),
}


@dataclass
class Refused:
    """A row a joined member's step refuses (its unique key): where, and why."""

    member: int
    line: int
    column: str
    value: str
    reason: str


def staged_rows(
    spark: SparkSession, token: str, tasks: list[Task], loaded: set[int], staging: Path
) -> DataFrame:
    """The rows the members of ``token`` that loaded staged, the last of each key in a member
    (a member's stage is keyed so; what a key means across members is each step's own)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from ..importing.joined import JOINED

    stage = join_stage(token)
    files = [staging_file(staging, task) for task in tasks if task.number in loaded]
    files = [str(path) for path in files if path.exists()]
    schema = from_arrow_schema(staged_schema(stage))
    if not files:
        return spark.createDataFrame([], schema)
    return _last(spark.read.schema(schema).parquet(*files), ("_member", *JOINED[token].key))


def refused(staged: DataFrame, token: str) -> list[Refused]:
    """The rows of a credit member that the unique (username, course) key refuses: a later line
    of its file with an earlier line's, or a row whose pair an earlier member's other id holds."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if token != "credit_crediteligibility":
        return []
    line = _line()
    pair = ["username", "course_key"]
    in_file = Window.partitionBy("_member", *pair)
    repeated = (
        staged.withColumn("_first", F.min(line).over(in_file))
        .withColumn("_line", line)
        .filter(F.col("_line") > F.col("_first"))
        .select("_member", "_line", "username", "_first")
    )
    found = [
        Refused(
            row["_member"],
            row["_line"],
            "username",
            row["username"],
            f"line {row['_first']} of this file has this username and course already (unique)",
        )
        for row in repeated.collect()
    ]
    first_of_file = staged.withColumn("_rank", F.row_number().over(in_file.orderBy("_order")))
    first_of_file = first_of_file.filter("_rank = 1")
    earlier = first_of_file.select(
        F.col("_member").alias("_other_member"), F.col("id").alias("_other"), *pair
    )
    taken = (
        first_of_file.join(earlier, pair)
        .filter((F.col("_other_member") < F.col("_member")) & (F.col("_other") != F.col("id")))
        .groupBy("_member", "_order", "username")
        .agg(F.min("_other").alias("_other"))
        .withColumn("_line", line)
    )
    found += [
        Refused(
            row["_member"],
            row["_line"],
            "username",
            row["username"],
            f"another row of credit_crediteligibility (id {row['_other']}) already has this username "
            "and course",
        )
        for row in taken.collect()
    ]
    return found


def joined_frames(staged: DataFrame, token: str, refusals: list[Refused]) -> dict[str, DataFrame]:
    """The tables the members' rows fill, by name (ids and all: written as they are)."""
    from pyspark.sql import functions as F

    if token == "django_comment_client_role_users":
        roles = _numbered(staged.groupBy("course_id", "name").agg(F.min("_order").alias("_order")))
        users = _course_set(staged, "course_id").join(
            roles.select(F.col("id").alias("role_id"), "course_id", "name"), ["course_id", "name"]
        )
        return {ForumRole._meta.db_table: roles, ForumRoleUser._meta.db_table: _numbered(users)}
    if token == "course_groups_cohortmembership":
        first = staged.groupBy("course_id", "name").agg(F.min("_member").alias("_first"))
        groups = _numbered(
            staged.join(first, ["course_id", "name"])
            .filter(F.col("_member") == F.col("_first"))
            .groupBy("course_id", "name")
            .agg(F.max("group_type").alias("group_type"), F.min("_order").alias("_order"))
        )
        members = _numbered(
            _course_set(staged, "course_id").join(
                groups.select(F.col("id").alias("course_user_group_id"), "course_id", "name"),
                ["course_id", "name"],
            )
        )
        link = members.select(F.col("course_user_group_id").alias("courseusergroup_id"), "user_id", "_order")
        links = _numbered(link)
        return {
            CourseUserGroup._meta.db_table: groups,
            CohortMembership._meta.db_table: members,
            CourseUserGroupUsers._meta.db_table: links,
        }
    if token == "verify_student_verificationstatus":
        at = ["course_id", "checkpoint_location"]
        checkpoints = _numbered(staged.groupBy(*at).agg(F.min("_order").alias("_order")))
        # Appended, never changed: a status already there (an earlier member's) is not added again.
        from ..importing.joined import JOINED

        first = _last(staged.withColumn("_order", -F.col("_order")), JOINED[token].key)
        first = first.withColumn("_order", -F.col("_order"))
        statuses = first.join(checkpoints.select(F.col("id").alias("checkpoint_id"), *at), at)
        return {
            VerificationCheckpoint._meta.db_table: checkpoints,
            VerificationStatus._meta.db_table: _numbered(statuses),
        }
    courses = staged.groupBy("course_key").agg(F.min("_order").alias("_order"))
    courses = _numbered(courses.withColumn("enabled", F.lit(True)))
    kept = staged
    for refusal in refusals:  # a handful: the file's own repeats and another id's pair
        kept = kept.filter(~((F.col("_member") == refusal.member) & (_line() == refusal.line)))
    eligibility = _last(kept, ("id",)).join(
        courses.select(F.col("id").alias("course_id"), "course_key"), ["course_key"]
    )
    return {CreditCourse._meta.db_table: courses, CreditEligibility._meta.db_table: eligibility}


def _line():
    from pyspark.sql import functions as F

    return F.col("_order") - F.col("_member").cast("long") * F.lit(1 << LINE_BITS)


def _last(frame: DataFrame, key) -> DataFrame:
    """The last row of each key (an import's upsert)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    newest = Window.partitionBy(*key).orderBy(F.col("_order").desc())
    return frame.withColumn("_rank", F.row_number().over(newest)).filter("_rank = 1").drop("_rank")


def _course_set(frame: DataFrame, course: str) -> DataFrame:
    """The rows of each course's newest member: a member is the course's full set."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    newest = F.max("_member").over(Window.partitionBy(course))
    return frame.withColumn("_newest", newest).filter(F.col("_member") == F.col("_newest")).drop("_newest")


def _numbered(frame: DataFrame) -> DataFrame:
    """``frame`` with an ``id`` from 1, in the order of the rows that made them (``_order``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    return frame.withColumn("id", F.row_number().over(Window.orderBy("_order")))
