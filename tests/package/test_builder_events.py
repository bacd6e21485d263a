"""The synthetic package's tracking logs: the exporter's daily files, the LMS's lines, junk and all."""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import json
import re
from collections import Counter
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from django.core.management import CommandError, call_command

from edx_schema.package.builder import PackageSpec, build_package
from edx_schema.package.names import parse_member_name
from edx_schema.package.source import open_package
from tests.conftest import PASSPHRASE
from tests.package.built import table_rows
from tests.package.memory import peak_megabytes

SPEC = PackageSpec(learners=12, problems=4, events=4000)
SYSLOG = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d localhost $")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
VIDEO = {"load_video", "play_video", "pause_video", "seek_video", "speed_change_video", "stop_video"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_package(spec=SPEC, output=tmp_path_factory.mktemp("events"))


def day_files(package: Path) -> dict[datetime.date, Path]:
    """The package's event files by the day in their name."""
    files = {}
    for path in sorted((package / "events").iterdir()):
        files[datetime.date.fromisoformat(re.search(r"\d{4}-\d\d-\d\d", path.name).group())] = path
    return files


def lines_of(path: Path) -> list[bytes]:
    """A file's lines, without their line ends (every line has one)."""
    data = gzip.decompress(path.read_bytes())
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def event_of(line: bytes) -> dict | None:
    """The event a line holds, after any text before its JSON; None for junk."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    start = text.find("{")
    try:
        value = json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


@pytest.fixture(scope="module")
def events(built) -> list[tuple[datetime.date, dict]]:
    """Every event of the package, with the day of its file."""
    return [
        (day, event)
        for day, path in day_files(built.path).items()
        for event in map(event_of, lines_of(path))
        if event is not None
    ]


def received(event: dict) -> datetime.datetime:
    """When the event reached edX: Segment's receipt for mobile events, else its time."""
    return datetime.datetime.fromisoformat(event["context"].get("received_at") or event["time"])


def family(event: dict) -> str:
    kind = event["event_type"]
    if kind.startswith("/"):
        return "implicit"
    if kind.startswith("edx.grades."):
        return "grades"
    if kind.startswith("edx.forum."):
        return "forum"
    if kind.startswith("edx.course.enrollment."):
        return "enrollment"
    if kind in VIDEO:
        return "video"
    if kind.startswith("problem_"):
        return "problem"
    return "navigation"


def test_one_gzip_file_a_day_for_the_eight_days_to_the_package_date(built):
    files = day_files(built.path)
    first = SPEC.date - datetime.timedelta(days=7)
    assert list(files) == [first + datetime.timedelta(days=n) for n in range(8)]
    for day, path in files.items():
        assert path.name == f"universityx-edx-events-{day.isoformat()}.log.gz"
        assert parse_member_name(f"events/{path.name}").kind == "events"
        header = path.read_bytes()[:10]
        assert header[:2] == b"\x1f\x8b"
        assert header[4:8] == b"\0\0\0\0"  # no mtime: the same bytes whenever it is built
    with open_package(built.path) as package:
        assert sorted(m.path for m in package.members if m.name.kind == "events") == [
            f"events/{path.name}" for path in files.values()
        ]


def test_lines_are_the_lms_json_dumps_and_the_count_is_the_events(built, events):
    counted = 0
    for path in day_files(built.path).values():
        for line in lines_of(path):
            event = event_of(line)
            if event is None:
                continue
            counted += 1
            text = line.decode("ascii")
            text = text[text.index("{") :]
            assert json.dumps(event) == text  # key order, separators, \uXXXX escapes
    assert counted == len(events) == built.rows["events"]
    assert abs(built.rows["events"] - SPEC.events) < SPEC.events * 0.05


def test_times_are_isoformat_of_utc_datetimes_some_without_a_fraction(events):
    whole = 0
    for _, event in events:
        when = datetime.datetime.fromisoformat(event["time"])
        assert when.utcoffset() == datetime.timedelta(0)
        assert when.isoformat() == event["time"]
        whole += when.microsecond == 0
    assert whole > 0


def test_junk_lines_of_every_kind_are_rare(built):
    kinds: Counter[str] = Counter()
    total = 0
    for path in day_files(built.path).values():
        for line in lines_of(path):
            total += 1
            if line == b"":
                kinds["empty"] += 1
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                kinds["not utf-8"] += 1
                continue
            if not text.startswith("{"):
                if text.startswith("["):
                    assert isinstance(json.loads(text), list)
                    kinds["array"] += 1
                else:  # text before the JSON: still an event
                    assert SYSLOG.match(text[: text.index("{")])
                    assert event_of(line) is not None
                    kinds["syslog"] += 1
                continue
            try:
                json.loads(text)
            except json.JSONDecodeError:
                assert len(text) >= 10_000  # an event the LMS cut at TRACK_MAX_EVENT
                kinds["cut"] += 1
    assert set(kinds) == {"empty", "not utf-8", "array", "syslog", "cut"}
    junk = sum(kinds.values()) - kinds["syslog"]
    assert junk <= total * 0.005


def test_every_family_and_the_shares_of_a_real_log(events):
    by_family = Counter(family(event) for _, event in events)
    assert set(by_family) == {"implicit", "video", "problem", "navigation", "forum", "enrollment", "grades"}
    assert by_family.most_common(1)[0][0] == "implicit"
    assert by_family["video"] > by_family["problem"] > by_family["grades"]
    for few in ("forum", "enrollment"):
        assert by_family[few] < min(by_family["video"], by_family["problem"], by_family["navigation"])
    types = {(event["event_source"], event["event_type"]) for _, event in events}
    assert {("browser", kind) for kind in VIDEO} <= types
    assert {("mobile", kind) for kind in VIDEO - {"speed_change_video"}} <= types
    assert {("browser", "seq_goto"), ("browser", "seq_next"), ("browser", "seq_prev")} <= types
    assert {("browser", "page_close"), ("browser", "problem_check"), ("browser", "problem_show")} <= types
    assert {
        ("server", f"edx.{name}")
        for name in (
            "forum.thread.created",
            "forum.response.created",
            "forum.comment.created",
            "forum.thread.viewed",
            "course.enrollment.activated",
            "course.enrollment.deactivated",
            "course.enrollment.mode_changed",
            "grades.problem.submitted",
            "grades.subsection.grade_calculated",
            "grades.course.grade_calculated",
        )
    } | {("server", "problem_check")} <= types


def test_browser_events_carry_their_event_as_json_text(events):
    browser = [event for _, event in events if event["event_source"] == "browser" and "name" in event]
    assert browser
    for event in browser:
        assert event["context"]["path"] == "/event"
        assert HEX32.match(event["session"])
        assert event["page"].startswith("https://courses.edx.org/courses/")
        assert {"referer", "accept_language"} <= set(event)
        assert isinstance(event["event"], str)
        if event["event_type"] in VIDEO:
            assert event["name"] == event["event_type"]
            payload = json.loads(event["event"])
            assert payload["id"]
            if event["event_type"] == "seek_video":
                assert {"old_time", "new_time", "type"} <= set(payload)
        elif event["event_type"] == "problem_check":  # the form, URL-encoded, quoted as JSON
            query = json.loads(event["event"])
            assert all(key.startswith("input_") for key, _ in parse_qsl(query))
        elif event["event_type"] == "page_close":
            assert event["event"] == ""
        elif event["event_type"].startswith("seq_"):
            assert event["name"].startswith("edx.ui.lms.sequence.")
            assert {"old", "new", "id"} <= set(json.loads(event["event"]))
    # Out of the subsection, "next" has no legacy type: both fields are the new name.
    assert any(
        event["event_type"] == event["name"] == "edx.ui.lms.sequence.next_selected" for event in browser
    )


def test_server_events_carry_their_event_as_an_object(events):
    server = [event for _, event in events if event["event_source"] == "server"]
    checks = [event for event in server if event["event_type"] == "problem_check"]
    assert checks
    for event in checks:
        assert event["page"] == "x_module"
        assert set(event["context"]["module"]) == {"display_name", "usage_key"}
        assert event["context"]["module"]["usage_key"] == event["event"]["problem_id"]
        assert {
            "problem_id",
            "attempts",
            "grade",
            "max_grade",
            "success",
            "answers",
            "correct_map",
            "submission",
            "state",
        } <= set(event["event"])
    for event in server:
        if event["event_type"].startswith("/"):
            continue
        assert isinstance(event["event"], dict)
        if "name" in event:
            assert event["name"] == event["event_type"]
        if event["event_type"].startswith("edx.grades."):
            assert isinstance(event["event"]["user_id"], str)
            assert event["event"]["user_id"] == str(event["context"]["user_id"])
            assert event["event"]["event_transaction_id"]
        if event["event_type"] == "edx.grades.subsection.grade_calculated":
            assert {"block_id", "weighted_total_earned", "first_attempted", "visible_blocks_hash"} <= set(
                event["event"]
            )
        if event["event_type"] == "edx.grades.course.grade_calculated":
            assert {"percent_grade", "letter_grade"} <= set(event["event"])
        if event["event_type"] == "edx.forum.thread.created":
            assert event["event"]["title"]
            assert event["event"]["body"]
            assert HEX32.match(event["session"])


def test_implicit_events_are_requests_some_of_visitors_logged_out(events):
    implicit = [event for _, event in events if event["event_type"].startswith("/")]
    cut = 0
    for event in implicit:
        assert event["event_source"] == "server"
        assert event["event_type"].startswith("/courses/")
        assert isinstance(event["event"], str)
        try:
            assert set(json.loads(event["event"])) == {"GET", "POST"}
        except json.JSONDecodeError:
            assert len(event["event"]) == 512  # the middleware's cut
            cut += 1
    assert cut
    visitors = [event for event in implicit if event["username"] == ""]
    assert visitors
    assert all(event["context"]["user_id"] is None for event in visitors)
    # Pre-2014 requests repeated their fields in the context.
    repeated = [event for event in implicit if "username" in event["context"]]
    assert repeated
    for event in repeated:
        assert event["context"]["username"] == event["username"]
        assert event["context"]["ip"] == event["ip"]
        assert event["context"]["agent"] == event["agent"]
        assert HEX32.match(event["context"]["session"])


def test_mobile_events_come_through_segment(events):
    mobile = [event for _, event in events if event["event_source"] == "mobile"]
    assert mobile
    for event in mobile:
        assert event["name"].startswith("edx.video.")
        assert event["event_type"] in VIDEO
        assert event["ip"] == ""
        context = event["context"]
        assert {"name", "version"} <= set(context["application"])
        assert context["client"]["os"]["name"] in ("iOS", "Android")
        assert context["component"] == "videoplayer"
        assert received(event) >= datetime.datetime.fromisoformat(event["time"])
        assert json.loads(event["event"])["code"] == "mobile"


def test_the_legacy_course_has_pre_2014_events(events):
    old = [event for _, event in events if "name" not in event]
    assert old
    assert all("referer" not in event and "accept_language" not in event for event in old)
    courseless = [event for event in old if "course_id" not in event["context"]]
    assert courseless
    for event in courseless:  # the course is only in the page or the URL
        where = event["page"] or event["event_type"]
        assert "/courses/UniversityX/HIST.2x/2013_Spring/" in where
    # Old browser events: JavaScript's JSON, the old i4x ids.
    payloads = [event["event"] for event in old if event["event_source"] == "browser"]
    assert any('":' in payload and '": ' not in payload for payload in payloads)


def test_events_are_of_the_packages_learners_in_their_courses(built, events):
    with open_package(built.path) as package:
        users = {int(row["id"]): row["username"] for row in table_rows(package, "auth_user")}
        enrolled = {
            (int(row["user_id"]), row["course_id"]) for row in table_rows(package, "student_courseenrollment")
        }
        problems = {row["module_id"] for row in table_rows(package, "courseware_studentmodule")}
    courses = {course for _, course in enrolled}
    staff = 0
    for _, event in events:
        course = event["context"].get("course_id")
        assert course is None or course in courses
        user = event["context"].get("user_id")
        if user is None:
            assert event["username"] == ""
            continue
        assert users[user] == event["username"]
        if course:
            assert (user, course) in enrolled
        if event["event_type"] == "problem_check" and event["event_source"] == "server":
            assert event["event"]["problem_id"] in problems
        if event["event_type"].startswith("edx.course.enrollment."):
            learner = event["event"]["user_id"]
            assert (learner, event["event"]["course_id"]) in enrolled
            staff += learner != user  # staff enrolling a learner
    assert staff
    legacy = {
        event["context"]["course_id"] for _, event in events if "/" in event["context"].get("course_id", "")
    }
    assert legacy == {"UniversityX/HIST.2x/2013_Spring"}
    assert any(
        event["event"]["problem_id"].startswith("i4x://UniversityX/HIST.2x/problem/")
        for _, event in events
        if event["event_type"] == "problem_check" and event["event_source"] == "server"
    )


def test_lines_are_in_the_file_of_the_day_they_arrived(built, events):
    late = 0
    for day, event in events:
        assert received(event).date() == day
        late += datetime.datetime.fromisoformat(event["time"]).date() < day
    assert late  # mobile events sent days after they happened


def test_the_last_day_is_partial_and_next_weeks_package_resends_it_complete(built, tmp_path):
    partial = lines_of(day_files(built.path)[SPEC.date])
    noon = datetime.datetime.combine(SPEC.date, datetime.time(12), tzinfo=datetime.UTC)
    assert all(received(event) < noon for event in map(event_of, partial) if event)
    for week in (SPEC.week, SPEC.week + 1):  # the same snapshot week, or the next one's
        later = dataclasses.replace(SPEC, date=SPEC.date + datetime.timedelta(days=7), week=week)
        files = day_files(build_package(spec=later, output=tmp_path / str(week)).path)
        complete = lines_of(files[SPEC.date])
        assert complete[: len(partial)] == partial
        rest = [event for event in map(event_of, complete[len(partial) :]) if event]
        assert rest
        assert all(received(event) >= noon for event in rest)


def test_the_same_spec_gives_the_same_bytes(built, tmp_path):
    again = build_package(spec=SPEC, output=tmp_path)
    first, second = day_files(built.path), day_files(again.path)
    assert {day: path.read_bytes() for day, path in first.items()} == {
        day: path.read_bytes() for day, path in second.items()
    }
    other = build_package(spec=dataclasses.replace(SPEC, seed=2), output=tmp_path / "other")
    assert lines_of(day_files(other.path)[SPEC.date]) != lines_of(first[SPEC.date])


def test_no_events_no_events_folder(tmp_path):
    built = build_package(spec=dataclasses.replace(SPEC, events=0), output=tmp_path)
    assert not (built.path / "events").exists()
    assert "events" not in built.rows


def test_encrypted_event_files_decrypt_to_the_same_logs(built, tmp_path, gpg_key):
    gpg, home, fingerprint = gpg_key
    encrypted = build_package(spec=SPEC, output=tmp_path, recipients=[fingerprint], gnupghome=home)
    clear = day_files(built.path)
    names = sorted(path.name for path in (encrypted.path / "events").iterdir())
    assert names == sorted(f"{path.name}.gpg" for path in clear.values())
    path = encrypted.path / "events" / names[0]
    assert parse_member_name(f"events/{path.name}").encrypted
    with open(path, "rb") as stream:
        result = gpg.decrypt_file(stream, passphrase=PASSPHRASE)
    assert result.ok, result.status
    assert gzip.decompress(result.data) == gzip.decompress(clear[min(clear)].read_bytes())


def test_memory_stays_flat_however_many_events():
    code = """
        import tempfile
        from pathlib import Path
        from edx_schema.package.builder.events import write_events
        from edx_schema.package.builder.spec import CourseRun, PackageSpec, default_courses
        from edx_schema.package.builder.users import enrolled_in, make_learners

        spec = PackageSpec(learners=200, problems=8, events={events})
        learners = make_learners(spec)
        runs = [
            CourseRun(spec=spec, course=course, index=index, learners=learners,
                      enrolled=enrolled_in(learners, course_index=index))
            for index, course in enumerate(default_courses(spec.org, spec.courses))
        ]
        with tempfile.TemporaryDirectory() as folder:
            print(write_events(Path(folder), spec, runs))
    """
    small, written = peak_megabytes(code.format(events=10_000))
    large, written_large = peak_megabytes(code.format(events=200_000))
    assert int(written_large) > 19 * int(written)
    assert large - small < 10


def test_make_package_writes_the_logs_and_refuses_a_negative_count(tmp_path):
    out = StringIO()
    call_command(
        "make_package", str(tmp_path), "--learners", "3", "--problems", "4", "--events", "500", stdout=out
    )
    assert re.search(r"events\s+\d", out.getvalue())
    assert len(list((tmp_path / "universityx-2024-11-17" / "events").iterdir())) == 8
    with pytest.raises(CommandError, match="--events must be 0 or more, not -1"):
        call_command("make_package", str(tmp_path), "--events", "-1", stdout=StringIO())
