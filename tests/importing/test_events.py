"""Tracking logs through ``import_packages``: each event once, junk reported, files whole or not at all."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from edx_schema.importing import ImportOptions, import_packages
from edx_schema.importing.events import EVENTS_TABLE
from edx_schema.models import ImportRecord, TrackingEvent, TrackingLogFile
from edx_schema.outcomes import Status
from edx_schema.package.events import decode_line
from edx_schema.package.source import Decryption
from tests.conftest import PASSPHRASE
from tests.package.events import samples

pytestmark = pytest.mark.django_db


def _event(n: int, *, day: str = "2024-03-05", course: str = "course-v1:UniversityX+CS-101x+3T2024") -> bytes:
    """A distinct server event (``n`` makes it unique) of ``course`` on ``day``."""
    return json.dumps(
        {
            "username": f"learner{n}",
            "event_source": "server",
            "event_type": "problem_check",
            "time": f"{day}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.{n % 999_999:06d}+00:00",
            "context": {"user_id": n, "course_id": course, "org_id": "UniversityX", "path": "/x"},
            "event": {
                "problem_id": f"block-v1:UniversityX+CS-101x+3T2024+type@problem+block@p{n}",
                "grade": 1,
            },
            "host": "courses.edx.org",
            "page": "x_module",
        }
    ).encode()


def _log(folder: Path, name: str, lines: list[bytes], *, gzipped: bool = True) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = b"\n".join(lines) + b"\n"
    path.write_bytes(gzip.compress(text, mtime=0) if gzipped else text)
    return path


def _import(*paths: Path, **options):
    summary = import_packages(paths=paths, options=ImportOptions(**options))
    return summary, [r for r in summary.results if r.table == EVENTS_TABLE]


def _stored() -> list[tuple]:
    return sorted(TrackingEvent.objects.values_list("line_hash", "file__name", "line"))


def test_an_org_log_loads_every_event_with_its_columns_and_raw_json(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    _log(package / "events", "universityx-edx-events-2024-03-05.log.gz", list(samples.ALL))
    summary, (result,) = _import(package)
    assert summary.ok
    assert (result.status, result.read, result.inserted, result.rejected) == (Status.LOADED, 8, 8, 0)
    for number, line in enumerate(samples.ALL, 1):
        stored = TrackingEvent.objects.get(line=number)
        expected = decode_line(line)
        assert stored.event == expected.event
        assert stored.context == expected.context
        assert stored.line_hash == expected.line_hash
        assert stored.time.strftime("%Y-%m-%d %H:%M:%S.%f") == expected.time
        assert (stored.course_id, stored.user_id, stored.family) == (
            expected.course_id,
            expected.user_id,
            expected.family,
        )
    log_file = TrackingLogFile.objects.get()
    assert (log_file.lines, log_file.events, log_file.inserted, log_file.complete) == (8, 8, 8, True)
    assert (log_file.site, log_file.date) == ("prod", datetime.date(2024, 3, 5))
    record = ImportRecord.objects.get(table=EVENTS_TABLE)
    assert (record.outcome, record.rows_read, record.inserted, record.checksum) == (
        "loaded",
        8,
        8,
        log_file.sha256,
    )


def test_a_file_loaded_before_is_skipped_under_any_name_and_force_loads_it_again(tmp_path):
    lines = [_event(n) for n in range(50)]
    first = tmp_path / "universityx-2024-03-10"
    _log(first, "universityx-edx-events-2024-03-05.log.gz", lines)
    _import(first)
    before = _stored()
    second = tmp_path / "universityx-2024-03-17"
    shutil.copytree(first, second)
    (second / "universityx-edx-events-2024-03-05.log.gz").rename(second / "copy-edx-events-2024-03-05.log.gz")
    _, (again,) = _import(second)
    assert again.status is Status.ALREADY
    assert "loaded as universityx-2024-03-10/universityx-edx-events-2024-03-05.log.gz" in again.message
    _, (forced,) = _import(second, force=True)
    assert (forced.status, forced.read, forced.inserted, forced.unchanged) == (Status.LOADED, 50, 50, 0)
    assert [h for h, _, _ in _stored()] == [h for h, _, _ in before]
    assert TrackingLogFile.objects.count() == 1


def test_a_day_sent_again_complete_adds_only_the_events_it_lacked(tmp_path):
    day = [_event(n) for n in range(100)]
    week1 = tmp_path / "universityx-2024-03-10"
    _log(week1, "universityx-edx-events-2024-03-10.log.gz", day[:60])  # partial: the day was not over
    week2 = tmp_path / "universityx-2024-03-17"
    _log(week2, "universityx-edx-events-2024-03-10.log.gz", day)
    _log(week2, "universityx-edx-events-2024-03-11.log.gz", [_event(n, day="2024-03-11") for n in range(10)])
    _, first = _import(week1)
    _, second = _import(week2)
    assert [(r.inserted, r.unchanged) for r in first] == [(60, 0)]
    assert sorted((r.inserted, r.unchanged) for r in second) == [(10, 0), (40, 60)]
    assert TrackingEvent.objects.count() == 110
    # The re-sent events keep the file that brought them first.
    assert TrackingEvent.objects.filter(file__package="universityx-2024-03-10").count() == 60


@pytest.mark.django_db(transaction=True)  # --jobs 2: worker processes see only what is committed
def test_the_same_line_in_two_files_of_one_import_is_stored_once(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    shared = [_event(n) for n in range(5)]
    _log(package, "universityx-edx-events-2024-03-05.log.gz", shared)
    # An org alias's copy, behind a collector's prefix: the same events.
    _log(
        package,
        "alias-edx-events-2024-03-05.log",
        [b"Mar  5 00:00:01 lms1 " + line for line in shared],
        gzipped=False,
    )
    summary, results = _import(package, jobs=2)
    assert summary.ok
    assert sorted((r.inserted, r.unchanged) for r in results) == [(0, 5), (5, 0)]
    assert TrackingEvent.objects.count() == 5


def test_junk_lines_are_reported_and_the_rest_loads(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    lines = [_event(1), b"Mar  5 garbage", _event(2)[:150], b'{"event_type": "caf\xe9"}', _event(3), b""]
    _log(package, "universityx-edx-events-2024-03-05.log.gz", lines)
    summary, (result,) = _import(package)
    assert summary.ok  # junk in a log is expected: reported, not an error
    assert (result.status, result.read, result.inserted, result.rejected) == (Status.LOADED, 6, 2, 4)
    assert "4 line(s) are not events and were skipped: line 2: no JSON object" in result.message
    assert [(r.line, r.reason[:14]) for r in result.rejects] == [
        (2, "no JSON object"),
        (3, "not valid JSON"),
        (4, "not UTF-8 text"),
        (6, "empty line"),
    ]
    assert result.rejects[0].file.endswith("universityx-edx-events-2024-03-05.log.gz")


def test_junk_lines_go_to_the_rejects_file(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    _log(package, "universityx-edx-events-2024-03-05.log.gz", [_event(1), b"junk"])
    rejects = tmp_path / "rejects.tsv"
    summary = import_packages(
        paths=[package], options=ImportOptions(skip_bad_rows=True), rejects_path=rejects
    )
    assert summary.ok
    lines = rejects.read_text().splitlines()
    assert lines[0].split("\t")[:5] == ["file", "line", "column", "value", "reason"]
    assert lines[1].split("\t")[1:3] == ["2", "NULL"]
    assert "no JSON object" in lines[1]


def test_a_file_of_garbage_loads_nothing(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    _log(package, "universityx-edx-events-2024-03-05.log.gz", [_event(1), *[b"garbage"] * 20, _event(2)])
    summary, (result,) = _import(package, max_errors=10)
    assert not summary.ok
    assert result.status is Status.FAILED
    assert "more than 10 lines are not events; the first, line 2" in result.message
    assert "none of its events were kept" in result.message
    assert TrackingEvent.objects.count() == 0
    assert TrackingLogFile.objects.count() == 0
    assert ImportRecord.objects.get(table=EVENTS_TABLE).outcome == "failed"


def test_a_damaged_gzip_file_loads_nothing(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    path = _log(package, "universityx-edx-events-2024-03-05.log.gz", [_event(n) for n in range(2000)])
    path.write_bytes(path.read_bytes()[:-100])
    _, (result,) = _import(package)
    assert result.status is Status.FAILED
    assert "the gzip data is damaged" in result.message
    assert TrackingEvent.objects.count() == 0


def test_course_and_days_filter_events_and_a_later_full_import_completes_the_file(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    other = "course-v1:UniversityX+HIST.2x+2013_Spring"
    lines = [
        _event(1, day="2024-03-04"),
        _event(2, day="2024-03-05"),
        _event(3, day="2024-03-05", course=other),
    ]
    _log(package, "universityx-edx-events-2024-03-05.log.gz", lines)
    _, (result,) = _import(
        package,
        courses=frozenset({"UniversityX-CS-101x-3T2024"}),
        since=datetime.date(2024, 3, 5),
    )
    assert (result.inserted, result.read) == (1, 3)
    assert "2 event(s) left out by --course/--since/--until" in result.message
    assert TrackingLogFile.objects.get().complete is False
    _, (rest,) = _import(package)
    assert (rest.status, rest.inserted, rest.unchanged) == (Status.LOADED, 2, 1)
    assert TrackingLogFile.objects.get().complete is True
    assert TrackingEvent.objects.count() == 3
    _, (done,) = _import(package)
    assert done.status is Status.ALREADY


def test_logs_of_days_outside_since_and_until_are_not_read(tmp_path):
    package = tmp_path / "universityx-2024-03-20"
    for day in ("2024-03-01", "2024-03-09", "2024-03-10", "2024-03-15", "2024-03-17", "2024-03-18"):
        _log(package, f"universityx-edx-events-{day}.log.gz", [_event(1, day=day)])
    summary = import_packages(
        paths=[package],
        options=ImportOptions(since=datetime.date(2024, 3, 10), until=datetime.date(2024, 3, 15)),
    )
    read = {r.member[-17:-7] for r in summary.results if r.status is Status.LOADED}
    filtered = {r.member[-17:-7] for r in summary.results if r.status is Status.FILTERED}
    # The day before --since, and two days after --until (late mobile events), are read too.
    assert read == {"2024-03-09", "2024-03-10", "2024-03-15", "2024-03-17"}
    assert filtered == {"2024-03-01", "2024-03-18"}
    assert set(TrackingEvent.objects.values_list("time__date", flat=True)) == {
        datetime.date(2024, 3, 10),
        datetime.date(2024, 3, 15),
    }


def test_no_events_leaves_the_logs_alone(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    _log(package, "universityx-edx-events-2024-03-05.log.gz", [_event(1)])
    _, (result,) = _import(package, events=False)
    assert (result.status, result.message) == (Status.SKIPPED, "a tracking log (--no-events)")
    assert TrackingEvent.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "events/edX_DemoX_Demo_Course-events-2015-10-01.log.gz",  # an RDX course's
        "app10/tracking.log-20130610.gz",  # an LMS server's, rotated
        "app10/tracking.log-20130610-1370822400.gz",
        "tracking.log",
    ],
)
def test_rdx_and_server_logs_are_read_too(tmp_path, name):
    _log(tmp_path / "logs", name, [_event(1), _event(2)], gzipped=name.endswith(".gz"))
    _, (result,) = _import(tmp_path / "logs")
    assert (result.status, result.inserted) == (Status.LOADED, 2)


def test_a_log_in_a_zip_package_and_a_lone_log_file(tmp_path):
    folder = tmp_path / "universityx-2024-03-10"
    path = _log(folder, "universityx-edx-events-2024-03-05.log.gz", [_event(1), _event(2)])
    archive = tmp_path / "universityx-2024-03-10.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(path, "universityx-2024-03-10/universityx-edx-events-2024-03-05.log.gz")
    _, (result,) = _import(archive)
    assert (result.status, result.inserted) == (Status.LOADED, 2)
    _log(tmp_path, "other-edx-events-2024-03-06.log.gz", [_event(3)])
    _, (lone,) = _import(tmp_path / "other-edx-events-2024-03-06.log.gz")
    assert (lone.status, lone.inserted) == (Status.LOADED, 1)


def test_an_encrypted_log_is_decrypted_as_it_streams(tmp_path, gpg_key):
    gpg, home, fingerprint = gpg_key
    package = tmp_path / "universityx-2024-03-10"
    clear = _log(package, "universityx-edx-events-2024-03-05.log.gz", [_event(n) for n in range(300)])
    with open(clear, "rb") as source:
        done = gpg.encrypt_file(source, [fingerprint], armor=False, always_trust=True, output=f"{clear}.gpg")
    assert done.ok, done.status
    digest = hashlib.sha256(clear.read_bytes()).hexdigest()
    clear.unlink()
    _, (result,) = _import(package, decryption=Decryption(gnupghome=home, passphrase=PASSPHRASE))
    assert (result.status, result.inserted) == (Status.LOADED, 300)
    # A file is known by its clear gzip's checksum, whatever the encryption (which differs each time).
    assert TrackingLogFile.objects.get().sha256 == digest


@pytest.fixture
def decoded_by_helpers(monkeypatch):
    """Every log decoded by two helper processes, in runs of 7 lines (a big log's way)."""
    from edx_schema.importing import event_decoding, events

    monkeypatch.setattr(event_decoding, "RUN_LINES", 7)
    monkeypatch.setattr(events, "decoders_for", lambda size: 2)


@pytest.mark.usefixtures("decoded_by_helpers")
def test_helpers_decode_a_log_to_the_same_rows_counts_and_reports(tmp_path):
    lines = [_event(n) for n in range(60)]
    for position, junk in ((3, b"junk"), (15, b""), (29, _event(99)[:40]), (44, b"more junk")):
        lines.insert(position, junk)
    package = tmp_path / "universityx-2024-03-10"
    _log(package, "universityx-edx-events-2024-03-05.log.gz", lines)
    junk = {4, 16, 30, 45}
    summary, (result,) = _import(package, since=datetime.date(2024, 3, 5))
    assert summary.ok
    assert (result.read, result.inserted, result.rejected) == (64, 60, 4)
    assert [r.line for r in result.rejects] == sorted(junk)
    stored = dict(TrackingEvent.objects.values_list("line", "line_hash"))
    expected = {n: decode_line(line).line_hash for n, line in enumerate(lines, 1) if n not in junk}
    assert stored == expected


@pytest.mark.usefixtures("decoded_by_helpers")
def test_helpers_stop_a_log_with_too_many_bad_lines(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    _log(package, "universityx-edx-events-2024-03-05.log.gz", [_event(1), *[b"garbage"] * 50, _event(2)])
    _, (result,) = _import(package, max_errors=20)
    assert result.status is Status.FAILED
    assert "more than 20 lines are not events; the first, line 2" in result.message
    assert TrackingEvent.objects.count() == 0


@pytest.mark.usefixtures("decoded_by_helpers")
def test_helpers_report_a_damaged_gzip_stream(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    path = _log(package, "universityx-edx-events-2024-03-05.log.gz", [_event(n) for n in range(3000)])
    path.write_bytes(path.read_bytes()[:-100])
    _, (result,) = _import(package)
    assert result.status is Status.FAILED
    assert "the gzip data is damaged" in result.message
    assert TrackingEvent.objects.count() == 0


@pytest.mark.usefixtures("decoded_by_helpers")
def test_helpers_decode_a_log_shorter_than_one_run_each(tmp_path):
    package = tmp_path / "universityx-2024-03-10"
    _log(package, "universityx-edx-events-2024-03-05.log.gz", [_event(n) for n in range(9)])
    _, (result,) = _import(package)
    assert (result.status, result.read, result.inserted) == (Status.LOADED, 9, 9)
