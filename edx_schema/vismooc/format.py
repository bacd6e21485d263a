"""The vismooc CSV format and load script: what MOOCdb's ``import_vismooc_to_moocdb.sql`` reads.

Pure: no Django import. Seven files, always all seven, no header, columns in the DDL's order,
``,`` separated, every field ``"``-enclosed with ``""`` for a quote and ``\\\\`` for a backslash
(MySQL's LOAD DATA applies its escape rules), UTF-8, ``\\n`` line ends. Every value survives
``LOAD DATA ... FIELDS TERMINATED BY ',' ENCLOSED BY '"'`` exactly: trailing backslashes, LaTeX,
quotes, ``NULL``, newlines, tabs, NUL and emoji included.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: The seven tables, in the order the load script loads them: columns in DDL order, with their
#: types (the original's, but ``users.username`` is wide enough for the 40-character hash).
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "courses": (
        ("_id", "varchar(255) NOT NULL"),
        ("original_id", "varchar(255) NOT NULL"),
        ("name", "varchar(255) NOT NULL"),
        ("year", "varchar(255) NOT NULL"),
        ("org", "varchar(255) NOT NULL"),
        ("instructor", "varchar(255) NOT NULL"),
        ("description", "varchar(255) NOT NULL"),
        ("start_date", "datetime NOT NULL"),
        ("end_date", "datetime NOT NULL"),
        ("course_url", "varchar(2083) NOT NULL"),
        ("image_url", "varchar(2083) NOT NULL"),
    ),
    "course_video": (
        ("_id", "varchar(255) NOT NULL"),
        ("course_id", "varchar(255) NOT NULL"),
        ("video_id", "varchar(255) NOT NULL"),
    ),
    "videos": (
        ("_id", "varchar(255) NOT NULL"),
        ("original_id", "varchar(255) NOT NULL"),
        ("name", "varchar(255) NOT NULL"),
        ("section", "varchar(255) NOT NULL"),
        ("description", "varchar(255) NOT NULL"),
        ("url", "varchar(255) NOT NULL"),
    ),
    "enrollments": (
        ("_id", "varchar(255) NOT NULL"),
        ("user_id", "varchar(11) NOT NULL"),
        ("course_id", "varchar(255) NOT NULL"),
        ("timestamp", "datetime NOT NULL"),
        ("action", "TINYINT NOT NULL"),
    ),
    "forum": (
        ("_id", "varchar(255) NOT NULL"),
        ("original_id", "varchar(255) NOT NULL"),
        ("course_id", "varchar(255) NOT NULL"),
        ("author_id", "varchar(255) NOT NULL"),
        ("created_at", "datetime NOT NULL"),
        ("updated_at", "datetime NOT NULL"),
        ("body", "LONGTEXT NOT NULL"),
        ("type", "varchar(255) NOT NULL"),
        ("title", "MEDIUMTEXT NOT NULL"),
        ("thread_type", "varchar(255) NOT NULL"),
        ("comment_thread_id", "varchar(255) NOT NULL"),
        ("parent_id", "varchar(255) NOT NULL"),
    ),
    "grades": (
        ("_id", "varchar(255) NOT NULL"),
        ("user_id", "varchar(11) NOT NULL"),
        ("course_id", "varchar(255) NOT NULL"),
        ("timestamp", "datetime NOT NULL"),
        ("grade", "varchar(5) NOT NULL"),
    ),
    "users": (
        ("_id", "varchar(255) NOT NULL"),
        ("original_id", "varchar(11) NOT NULL"),
        ("username", "varchar(40) NOT NULL"),
        ("name", "varchar(255) NOT NULL"),
        ("language", "varchar(255) NOT NULL"),
        ("location", "varchar(255) NOT NULL"),
        ("birth_date", "varchar(11) NOT NULL"),
        ("education_level", "varchar(6) NOT NULL"),
        ("bio", "LONGTEXT NOT NULL"),
        ("gender", "varchar(6) NOT NULL"),
        ("country", "varchar(2) NOT NULL"),
    ),
}
#: The columns of each table, in DDL order.
TABLES: dict[str, tuple[str, ...]] = {table: tuple(c for c, _t in cols) for table, cols in COLUMNS.items()}


def load_script(*, directory: Path, database: str) -> str:
    """``import_vismooc_to_moocdb.sql`` for the CSVs in ``directory``, loading into ``database``.

    The original's layout and statements, with two changes: ``users.username`` is
    ``varchar(40)`` (the original's 30 cut the 40-character hash), and the tables and the
    LOAD DATA statements are utf8mb4 (the original relied on the database's default).
    """
    quoted = database.replace("`", "``")
    parts = [
        f"CREATE DATABASE IF NOT EXISTS `{quoted}` CHARACTER SET utf8mb4;",
        f"USE `{quoted}`;",
        "SET @@global.local_infile = 1;",
        "",
    ]
    for table in TABLES:
        columns = "".join(f"    {name} {kind},\n" for name, kind in COLUMNS[table])
        parts.append(
            f"CREATE TABLE IF NOT EXISTS {table} (\n{columns}    PRIMARY KEY (_id)\n)"
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
        )
    for table in TABLES:
        path = str(directory / f"{table}.csv").replace("\\", "\\\\").replace("'", "\\'")
        parts.append(
            f"LOAD DATA local INFILE '{path}'\nIGNORE INTO TABLE {table}\nCHARACTER SET utf8mb4\n"
            "FIELDS TERMINATED BY ',' ENCLOSED BY '\"';\n"
        )
    return "\n".join(parts)


def write_table(path: Path, rows: Iterable[Iterable[Any]]) -> int:
    """Write one table's rows (values in DDL order; None as ''); return how many."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(
            file,
            delimiter=",",
            quotechar='"',
            escapechar="\\",
            doublequote=True,
            quoting=csv.QUOTE_ALL,
            lineterminator="\n",
        )
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
    return count


def mysql_datetime(value: dt.datetime | str | None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC, no fraction; '' for no date or one that does not parse.

    Strings are ISO 8601 as exported (``2014-06-17T22:00:00Z``, with or without an offset);
    naive values are taken as UTC, as the data package stores them.
    """
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return ""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def course_year(start: str | None) -> str:
    """The ``year`` column: ``YYYY_Q0_R0`` from the course start, '' without one."""
    text = mysql_datetime(start)
    return f"{text[:4]}_Q0_R0" if text else ""
