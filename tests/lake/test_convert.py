"""What a Spark task of the job runs, without Spark: one member into its staging file, and what
is not a row (rejects, a failure, the member's counts) handed back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from edx_schema.lake.convert import (
    DONE,
    FAILED,
    REJECT,
    convert_member,
    fold_course,
    piece_bounds,
    staged_schema,
    staging_file,
)
from edx_schema.lake.job import member_outcome, pieces_of
from edx_schema.lake.schema import lake_table
from edx_schema.lake.tasks import Rules, Task
from edx_schema.models import CourseBlock, CourseContentBlock, GradingPolicy

HEADER = "\t".join(
    [
        "id",
        "username",
        "first_name",
        "last_name",
        "email",
        "password",
        "is_staff",
        "is_active",
        "is_superuser",
        "last_login",
        "date_joined",
    ]
)
USER = "{id}\tlearner{id}\t\t\tl{id}@example.org\t\t0\t1\t0\tNULL\t2024-01-02 03:04:05"
MEMBER = "UniversityX-CS-101x-3T2024-auth_user-prod-analytics.sql"


def run(
    folder: Path, member: str, staging: Path, *, kind="table", table="auth_user", token="auth_user", **rules
):
    task = Task(str(folder), member, 3, kind, table, token)
    notes = [
        row for batch in convert_member(task, Rules(**rules), staging=staging) for row in batch.to_pylist()
    ]
    return task, notes


def package(tmp_path: Path, text: str | bytes, name: str = MEMBER) -> Path:
    folder = tmp_path / "universityx-2024-11-17"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


def test_a_members_rows_are_staged_with_their_place_and_its_counts_handed_back(tmp_path):
    folder = package(tmp_path, "\n".join([HEADER, USER.format(id=7), USER.format(id=9)]) + "\n")
    task, notes = run(folder, MEMBER, tmp_path / "staging")
    (done,) = notes
    assert done["_kind"] == DONE
    counts = json.loads(done["_value"])
    assert (counts["read"], counts["rejected"], counts["last_line"]) == (2, 0, 3)
    assert len(counts["sha256"]) == 64
    rows = pq.read_table(staging_file(tmp_path / "staging", task)).to_pylist()
    assert [(row["id"], row["username"], row["_member"], row["_order"]) for row in rows] == [
        (7, "learner7", 3, (3 << 32) + 2),
        (9, "learner9", 3, (3 << 32) + 3),
    ]
    assert str(rows[0]["date_joined"]) == "2024-01-02 03:04:05+00:00"
    assert rows[0]["last_login"] is None
    assert rows[0]["first_name"] == ""  # '' stays '' beside NULL


def test_a_bad_row_fails_the_member_its_staging_file_goes_and_the_reject_says_where(tmp_path):
    bad = USER.format(id=9).replace("\t1\t0\tNULL", "\tyes\t0\tNULL")
    folder = package(tmp_path, "\n".join([HEADER, USER.format(id=7), bad]) + "\n")
    task, notes = run(folder, MEMBER, tmp_path / "staging")
    kinds = [note["_kind"] for note in notes]
    assert kinds == [REJECT, FAILED]
    reject = notes[0]
    assert (reject["_line"], reject["_column"], reject["_value"]) == (3, "is_active", "yes")
    assert reject["_file"].endswith(MEMBER)
    assert not staging_file(tmp_path / "staging", task).exists()


def test_skip_bad_rows_keeps_the_good_rows_up_to_max_errors(tmp_path):
    bad = USER.format(id=9).replace("\t1\t0\tNULL", "\tyes\t0\tNULL")
    folder = package(tmp_path, "\n".join([HEADER, USER.format(id=7), bad, bad.replace("9", "8")]) + "\n")
    task, notes = run(folder, MEMBER, tmp_path / "staging", skip_bad_rows=True)
    assert [note["_kind"] for note in notes] == [REJECT, REJECT, DONE]
    assert [row["id"] for row in pq.read_table(staging_file(tmp_path / "staging", task)).to_pylist()] == [7]
    _task, notes = run(folder, MEMBER, tmp_path / "again", skip_bad_rows=True, max_errors=1)
    assert notes[-1]["_kind"] == FAILED
    assert "more than 1 bad rows" in notes[-1]["_reason"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("id\tid\n1\t2\n", "names this column twice"),
        ("username\n", "lacks column id"),
        (HEADER.encode() + b"\n7\tl\xff\n", "UTF-8"),
        (b"\xff\xfei\x00d\x00\n\x00", "UTF-16"),
        ("-- MySQL dump\nCREATE TABLE x;\n", "mysqldump"),
    ],
)
def test_a_file_that_is_no_table_fails_with_its_reason_and_no_traceback(tmp_path, text, reason):
    folder = package(tmp_path, text)
    _task, notes = run(folder, MEMBER, tmp_path / "staging")
    assert notes[-1]["_kind"] == FAILED
    assert reason in notes[-1]["_reason"]


def test_a_tracking_log_hands_back_its_bad_lines_and_counts(tmp_path):
    folder = tmp_path / "universityx-2024-11-17"
    (folder / "events").mkdir(parents=True)
    context = {"course_id": "course-v1:UniversityX+CS-101x+3T2024", "org_id": "UniversityX"}
    event = json.dumps(
        {
            "username": "a",
            "event_type": "play_video",
            "time": "2024-11-10T01:02:03.123456+00:00",
            "context": context,
            "event": "{}",
            "event_source": "browser",
        }
    )
    lines = [event, "not an event", event, '{"deep": ' + "[" * 10_000 + "]" * 10_000 + "}"]
    with gzip.open(folder / "events" / "universityx-edx-events-2024-11-10.log.gz", "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    member = "events/universityx-edx-events-2024-11-10.log.gz"
    task, notes = run(
        folder, member, tmp_path / "staging", kind="events", table="edx_schema_trackingevent", token=""
    )
    rejects = [note for note in notes if note["_kind"] == REJECT]
    assert [note["_line"] for note in rejects] == [2, 4]
    counts = json.loads(notes[-1]["_value"])
    assert (counts["lines"], counts["events"], counts["bad_lines"]) == (4, 2, 2)
    rows = pq.read_table(staging_file(tmp_path / "staging", task)).to_pylist()
    assert [(row["line"], row["file_id"], row["course_id"]) for row in rows] == [
        (1, 3, "course-v1:UniversityX+CS-101x+3T2024"),
        (3, 3, "course-v1:UniversityX+CS-101x+3T2024"),
    ]
    assert rows[0]["line_hash"] == rows[1]["line_hash"]  # the job keeps the first copy


def test_a_member_that_is_gone_fails_naming_it(tmp_path):
    folder = package(tmp_path, HEADER + "\n", name="UniversityX-CS-101x-3T2024-auth_user-prod-analytics.sql")
    gone = "UniversityX-HIST.2x-2013_Spring-auth_user-prod-analytics.sql"
    _task, notes = run(folder, gone, tmp_path / "staging")
    assert [note["_kind"] for note in notes] == [FAILED]
    assert gone in notes[0]["_reason"]
    assert "no longer in the package" in notes[0]["_reason"]


def test_a_bug_in_a_decoder_fails_the_member_not_the_job(tmp_path, monkeypatch):
    def broken(stream, *, label):
        raise TypeError("a bug")
        yield

    monkeypatch.setattr("edx_schema.lake.convert.read_posts", broken)
    folder = package(tmp_path, '{"_id": {"$oid": "x"}}\n', name="UniversityX-CS-101x-3T2024-prod.mongo")
    task, notes = run(
        folder,
        "UniversityX-CS-101x-3T2024-prod.mongo",
        tmp_path / "staging",
        kind="forum",
        table="edx_schema_forumpost",
    )
    assert [note["_kind"] for note in notes] == [FAILED]
    assert notes[0]["_reason"] == "not loaded: unexpected TypeError: a bug"
    assert not staging_file(tmp_path / "staging", task).exists()


OPT_IN = "universityx-email_opt_in-prod-analytics.csv"
OPT_IN_HEADER = "user_id,username,email,full_name,course_id,is_opted_in_for_email,preference_set_datetime"
OPT_IN_ROW = (
    "{id},learner{id},l{id}@example.org,Learner,course-v1:UniversityX+CS-101x+3T2024,True,"
    "2024-08-03 18:51:10+00:00"
)


def test_an_opt_in_list_is_staged_with_its_org_and_a_bad_row_says_where(tmp_path):
    rows = [OPT_IN_HEADER, OPT_IN_ROW.format(id=7), OPT_IN_ROW.format(id=9).replace(",True,", ",maybe,")]
    folder = package(tmp_path, "\r\n".join(rows) + "\r\n", name=OPT_IN)
    options = {"kind": "email_opt_in", "table": "edx_schema_emailoptin", "token": ""}
    task, notes = run(folder, OPT_IN, tmp_path / "strict", **options)
    assert [note["_kind"] for note in notes] == [REJECT, FAILED]
    assert (notes[0]["_line"], notes[0]["_column"], notes[0]["_value"]) == (
        3,
        "is_opted_in_for_email",
        "maybe",
    )
    assert not staging_file(tmp_path / "strict", task).exists()
    task, notes = run(folder, OPT_IN, tmp_path / "skip", skip_bad_rows=True, **options)
    assert [note["_kind"] for note in notes] == [REJECT, DONE]
    (row,) = pq.read_table(staging_file(tmp_path / "skip", task)).to_pylist()
    assert (row["org"], row["user_id"], row["is_opted_in_for_email"]) == ("universityx", 7, True)
    assert str(row["preference_set_datetime"]) == "2024-08-03 18:51:10+00:00"
    assert row["id"] is None  # numbered by the job


def test_a_course_structure_that_is_not_json_fails_saying_where(tmp_path):
    name = "UniversityX-CS-101x-3T2024-course_structure-prod-analytics.json"
    folder = package(tmp_path, '{"block-v1:UniversityX+CS-101x+3T2024+type@course+block@c": {', name=name)
    options = {"kind": "course_structure", "table": "edx_schema_courseblock", "token": ""}
    task, notes = run(folder, name, tmp_path / "staging", **options)
    (failed,) = notes
    assert failed["_kind"] == FAILED
    assert failed["_file"].endswith(name)
    assert failed["_line"] == 1
    assert not staging_file(tmp_path / "staging", task).exists()


def _staged(model, rows: list[dict]) -> pa.Table:
    table = lake_table(model)
    schema = staged_schema(table)
    return pa.Table.from_pylist(
        [{name: row.get(name) for name in schema.names} for row in rows], schema=schema
    )


def _block(member: int, line: int, key: str, position: int, name: str, parent: str = "c") -> dict:
    values = {"course_id": "course-v1:O+C+R", "usage_key": key, "category": "html", "parent": parent}
    values.update(position=position, depth=1, display_name=name, _member=member, _order=(member << 32) + line)
    return values


def test_a_whole_course_structure_replaces_the_outline_and_a_fragment_adds_after_it():
    rows = [
        _block(1, 1, "a", 0, "A"),
        _block(1, 2, "b", 1, "B"),
        _block(2, 1, "b", 0, "B, renamed"),  # whole: b now first, a gone
        _block(2, 2, "c", 1, "C"),
        _block(3, 1, "c", 0, "C, in a fragment", parent="elsewhere"),  # a fragment: c keeps its place
        _block(3, 2, "d", 0, "D"),  # new in a fragment: after the stored blocks
    ]
    folded = fold_course(
        _staged(CourseBlock, rows), name="edx_schema_courseblock", complete=frozenset({1, 2})
    )
    kept = {row["usage_key"]: row for row in folded.to_pylist()}
    assert sorted(kept) == ["b", "c", "d"]
    assert (kept["b"]["position"], kept["b"]["display_name"]) == (0, "B, renamed")
    assert (kept["c"]["position"], kept["c"]["parent"], kept["c"]["display_name"]) == (
        1,
        "c",
        "C, in a fragment",
    )
    assert kept["d"]["position"] == 2
    # An updated block keeps the row that numbers it (its id): b was first staged by member 1.
    assert kept["b"]["_member"] == 1
    assert kept["d"]["_member"] == 3


def test_an_unchanged_policy_keeps_its_source_and_content_is_the_last_exports():
    def policy(member: int, raw: str, source: str) -> dict:
        return {
            "course_id": "course-v1:O+C+R",
            "raw": raw,
            "grading_policy_hash": raw,
            "source": source,
            "_member": member,
            "_order": (member << 32) + 1,
        }

    rows = [policy(1, "p", "first"), policy(2, "p", "second")]
    (kept,) = fold_course(
        _staged(GradingPolicy, rows), name="edx_schema_gradingpolicy", complete=frozenset()
    ).to_pylist()
    assert kept["source"] == "first"
    rows.append(policy(3, "q", "third"))
    (kept,) = fold_course(
        _staged(GradingPolicy, rows), name="edx_schema_gradingpolicy", complete=frozenset()
    ).to_pylist()
    assert (kept["raw"], kept["source"], kept["_member"]) == ("q", "third", 1)
    content = [
        {"course_id": "course-v1:O+C+R", "usage_key": key, "_member": member, "_order": (member << 32) + line}
        for member, line, key in [(1, 1, "a"), (1, 2, "b"), (2, 1, "a")]
    ]
    folded = fold_course(
        _staged(CourseContentBlock, content), name="edx_schema_coursecontentblock", complete=frozenset()
    )
    assert [(row["usage_key"], row["_member"]) for row in folded.to_pylist()] == [("a", 2)]


def _converted_in(
    folder: Path, tasks: list[Task], staging: Path, rules: Rules
) -> tuple[list[dict], list[dict]]:
    """The notes of each task, and the rows they staged, in the order of their lines."""
    notes, rows = [], []
    for task in tasks:
        notes += [row for batch in convert_member(task, rules, staging=staging) for row in batch.to_pylist()]
        if staging_file(staging, task).exists():
            rows += pq.read_table(staging_file(staging, task)).to_pylist()
    return notes, sorted(rows, key=lambda row: row["_order"])


def _bad_user(number: int) -> str:
    return USER.format(id=number).replace("\t1\t0\tNULL", "\tyes\t0\tNULL")


@pytest.mark.parametrize(
    ("bad", "rules"),
    [
        ((), Rules()),
        ((11, 40), Rules()),  # a bad row fails the member: the first one, in whichever piece
        ((11, 40), Rules(skip_bad_rows=True)),
        ((5, 11, 23, 40, 41), Rules(skip_bad_rows=True, max_errors=2)),  # the third fails it
    ],
)
def test_a_member_in_pieces_loads_as_it_loads_whole(tmp_path, bad, rules):
    users = [_bad_user(number) if number in bad else USER.format(id=number) for number in range(1, 50)]
    # A record with an escaped LF (two lines), across the pieces' cuts.
    users[20] = users[20].replace("\t\t\t", "\tA\\\nB\t\t")
    folder = package(tmp_path, "\n".join([HEADER, *users]) + "\n")
    whole = Task(str(folder), MEMBER, 3, "table", "auth_user", "auth_user", label=f"{folder.name}/{MEMBER}")
    size = (folder / MEMBER).stat().st_size
    bounds = [piece_bounds(str(folder), MEMBER, start, start + 300) for start in range(0, size, 300)]
    pieces = pieces_of(whole, bounds)
    assert len(pieces) > 5
    assert pieces[0].start == 0
    assert pieces[-1].stop_line == 0
    notes, rows = _converted_in(folder, [whole], tmp_path / "whole", rules)
    piece_notes, piece_rows = _converted_in(folder, pieces, tmp_path / "pieces", rules)
    expected = member_outcome([whole], notes, rules)
    outcome = member_outcome(pieces, piece_notes, rules)
    assert outcome.failure == expected.failure
    assert outcome.rejects == expected.rejects
    lines = [number + 1 + (number > 21) for number in bad]  # the header is line 1; user 21 has two
    assert [reject["line"] for reject in outcome.rejects] == lines[: len(outcome.rejects)]
    assert outcome.rejects or not bad
    if expected.failure is None:
        assert outcome.counts["read"] == expected.counts["read"] == 49
        assert outcome.counts["last_line"] == expected.counts["last_line"]
        assert [(row["id"], row["_order"]) for row in piece_rows] == [
            (row["id"], row["_order"]) for row in rows
        ]
        assert [row["first_name"] for row in piece_rows if row["id"] == 21] == ["A\nB"]


def test_a_member_that_cannot_be_measured_is_converted_whole(tmp_path):
    folder = package(tmp_path, "\n".join([HEADER, USER.format(id=7), USER.format(id=8)]) + "\n")
    whole = Task(str(folder), MEMBER, 3, "table", "auth_user", "auth_user", label=f"{folder.name}/{MEMBER}")
    assert piece_bounds(str(folder), MEMBER, 0, 40) == (0, len(HEADER) + 1, 1)  # to the first record
    (folder / MEMBER).unlink()  # gone since the driver listed it: its whole task says so
    assert piece_bounds(str(folder), MEMBER, 0, 40) is None
    assert piece_bounds(str(folder), "no-such-member.sql", 0, 40) is None
    assert pieces_of(whole, [(0, 40, 2), None]) == [whole]
