"""The vismooc CSV dialect, dates and the load script."""

import datetime as dt
from pathlib import Path

import pytest

from edx_schema.vismooc.format import TABLES, course_year, load_script, mysql_datetime, write_table


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2014-06-17T22:00:00Z", "2014-06-17 22:00:00"),
        ("2017-06-01T12:00:00+02:00", "2017-06-01 10:00:00"),
        ("2015-12-30T01:03:14.523Z", "2015-12-30 01:03:14"),
        (dt.datetime(2013, 12, 19, 20, 10, 35, 43000, tzinfo=dt.UTC), "2013-12-19 20:10:35"),
        (dt.datetime(2024, 1, 8), "2024-01-08 00:00:00"),
        (None, ""),
        ("", ""),
        ("not a date", ""),
    ],
)
def test_dates_are_mysql_datetimes_in_utc(value, expected):
    assert mysql_datetime(value) == expected


def test_the_year_column_is_the_originals():
    assert course_year("2014-06-17T22:00:00Z") == "2014_Q0_R0"
    assert course_year(None) == ""


def test_rows_are_quoted_with_backslashes_escaped_and_no_header(tmp_path):
    path = tmp_path / "t.csv"
    assert write_table(path, [["C:\\", 'q"x', None, 3, "a\nb"]]) == 1
    assert path.read_bytes() == b'"C:\\\\","q""x","","3","a\nb"\n'


def test_the_script_loads_all_seven_tables_in_order_with_a_wide_username(tmp_path):
    script = load_script(directory=tmp_path, database="moocdb")
    assert script.startswith("CREATE DATABASE IF NOT EXISTS `moocdb` CHARACTER SET utf8mb4;\nUSE `moocdb`;")
    assert "username varchar(40) NOT NULL" in script
    loads = [line for line in script.splitlines() if line.startswith("LOAD DATA")]
    assert loads == [f"LOAD DATA local INFILE '{Path(tmp_path) / table}.csv'" for table in TABLES]
    assert script.count("IGNORE INTO TABLE") == 7
    assert script.count("CHARACTER SET utf8mb4\nFIELDS TERMINATED BY ',' ENCLOSED BY '\"';") == 7
