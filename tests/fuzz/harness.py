"""Whole-import fuzz cases: build a package around one mutated member, import it, check the outcome.

A case is ``kind@course:mutator:seed``. Its package holds the mutated member, one untouched
document member (which must always load) and the tables the mutated one refers to. Whatever
the input, an import must (issue 12):

- print no traceback (in process: let no exception but CommandError out of the command);
- exit non-zero, naming the member, exactly when that member stored nothing, and exit 0 exactly
  when all of its rows are stored; the untouched member loads either way;
- be atomic: a failed member leaves every table as it was, a loaded one holds exactly the file's
  rows (its distinct keys, or a join member's rows joined back from its tables, as an oracle
  that uses the standard library reads them from the bytes; a member that replaces its course's
  set leaves the file's set, not the union with last week's);
- stay under the memory limit.

:func:`check` returns what went wrong as a list of sentences; an empty list is a pass.
"""

from __future__ import annotations

import functools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from . import inflate, profile, sample
from .mutators import PACKAGE_LEVEL, applicable, mutate

TRACEBACK = "Traceback (most recent call last)"
SECRET = "FUZZ_SECRET_TOKEN=hunter2-do-not-echo"
# Control characters a message may not carry raw (they come from file content, unescaped).
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MESSAGE_LIMIT = 2_000


@dataclass(frozen=True)
class Case:
    """One fuzz case: which member is mutated, how, and the seed every choice is drawn from."""

    kind: str
    course: str
    mutator: str  # a mutator's name, "inflate:<name>" or "none" (the clean member)
    seed: int = 0

    @property
    def id(self) -> str:
        return f"{self.kind}@{self.course}:{self.mutator}:{self.seed}"

    @classmethod
    def parse(cls, text: str) -> Case:
        kind_course, _, rest = text.partition(":")
        mutator, seed = rest.rsplit(":", 1)  # a mutator may hold a colon: corpus:<id>
        kind, course = kind_course.split("@")
        return cls(kind, course, mutator, int(seed))

    @property
    def inflated(self) -> bool:
        return self.mutator.startswith("inflate:")

    def replay_hint(self) -> str:
        test = "test_import_process.py" if self.inflated else f"test_import_fuzz.py -k {self.kind}"
        return (
            f"replay: FUZZ_REPLAY='{self.id}' pytest tests/fuzz/{test} "
            f"(or: python -m tests.fuzz.replay '{self.id}' OUT_FOLDER)"
        )


def import_cases(kind: str, count: int, *, seed: int) -> list[Case]:
    """``count`` cases for one member kind: the mutators in turn, courses and seeds drawn."""
    names = applicable(sample.category(kind))
    rng = random.Random(f"{kind}:{seed}")
    offset = rng.randrange(len(names))
    courses = sample.courses_of(kind)
    return [
        Case(kind, rng.choice(courses), names[(offset + i) % len(names)], seed * 100_000 + i)
        for i in range(count)
    ]


@dataclass
class Mutated:
    """A case's member bytes (None for an inflated one, written by its writer) and container."""

    case: Case
    data: bytes | None
    notes: list[str]
    container: str  # "folder" or "zip"
    same_meaning: bool = False  # if it loads, it must store what the clean member stores
    beside: str = ""  # the untouched member's kind, if not the usual one
    extra: tuple[str, ...] = ()  # more tables of the course, loaded beforehand, in the package

    @property
    def untouched_kind(self) -> str:
        return self.beside or sample.untouched_kind(self.case.kind)

    def prerequisites(self) -> list[str]:
        paths = sample.prerequisites(self.case.kind, self.case.course)
        return paths + [sample.member_path(kind, self.case.course) for kind in self.extra]

    def describe(self) -> str:
        notes = "; ".join(self.notes) or "-"
        return f"{self.case.id} [{self.container}] {notes[:300]}"


def mutated(case: Case) -> Mutated:
    """Apply the case's mutation to the sample member, deterministically from the case alone."""
    rng = random.Random(case.id)
    if case.mutator.startswith("corpus:"):
        return regression(case.mutator.removeprefix("corpus:")).mutation()
    if case.inflated:
        return Mutated(case, None, [f"{profile.INFLATE_MB} MiB"], "zip")
    if case.mutator in PACKAGE_LEVEL:
        container = "zip" if case.mutator == "zip_crc" else "folder"
    else:
        container = "zip" if rng.random() < 0.3 else "folder"
    original = sample.member_bytes(case.kind, case.course)
    if case.mutator == "none":
        return Mutated(case, original, [], container)
    data, notes = mutate(case.mutator, original, rng)
    return Mutated(case, data, notes, container, same_meaning=keeps_meaning(case))


def keeps_meaning(case: Case) -> bool:
    """Whether the case's mutation leaves what the member means as it was (a BOM; CRLF line ends,
    except in the opt-in list, whose lines end so already and whose values may hold line breaks;
    the list's header repeated, as the exporter does before each chunk of courses)."""
    if sample.category(case.kind) == "csv":
        return case.mutator in ("bom", "repeat_header")
    return case.mutator in ("bom", "crlf")


# -- the regression corpus -------------------------------------------------------------------------

REGRESSIONS = Path(__file__).parent / "regressions"


@dataclass(frozen=True)
class Regression:
    """One entry of regressions/manifest.toml: a crash once found, and what must happen now."""

    kind: str
    was: str
    expect: str
    file: str = ""
    course: str = "CS-101x"
    package: str = "folder"
    mentions: tuple[str, ...] = ()
    same_as_clean: bool = False
    beside: str = ""
    extra: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.file.split(".")[0] if self.file else f"{self.kind}-{self.package}"

    def mutation(self) -> Mutated:
        if self.package in PACKAGE_LEVEL:
            return mutated(Case(self.kind, self.course, self.package))
        case = Case(self.kind, self.course, f"corpus:{self.id}")
        data = (REGRESSIONS / self.file).read_bytes()
        return Mutated(
            case,
            data,
            [self.was],
            self.package,
            same_meaning=self.same_as_clean,
            beside=self.beside,
            extra=self.extra,
        )


def regressions() -> list[Regression]:
    import tomllib

    with open(REGRESSIONS / "manifest.toml", "rb") as file:
        entries = tomllib.load(file)["case"]
    return [
        Regression(
            **{**entry, "mentions": tuple(entry.get("mentions", ())), "extra": tuple(entry.get("extra", ()))}
        )
        for entry in entries
    ]


def regression(identifier: str) -> Regression:
    return next(entry for entry in regressions() if entry.id == identifier)


# -- the package -----------------------------------------------------------------------------------


@dataclass
class Built:
    path: Path  # the folder or zip to import
    member: str  # the mutated member's path inside the package
    untouched: str


def build_package(mutation: Mutated, folder: Path) -> Built:
    """Write the case's package under ``folder`` (which must be empty)."""
    case = mutation.case
    member = sample.member_path(case.kind, case.course)
    untouched = sample.member_path(mutation.untouched_kind, case.course)
    clean = [untouched, *mutation.prerequisites()]
    if mutation.container == "folder":
        top = folder / sample.PACKAGE
        for path in clean:
            _write(top / path, sample.members()[path])
        target = top / member
        if case.mutator == "symlink":
            outside = folder / "outside" / "secret.txt"
            _write(outside, (SECRET + "\n").encode())
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(outside)
        else:
            _write(target, mutation.data or b"")
        return Built(top, member, untouched)
    path = folder / f"{sample.PACKAGE}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in clean:
            archive.writestr(f"{sample.PACKAGE}/{name}", sample.members()[name])
        name = f"{sample.PACKAGE}/{member}"
        if case.inflated:
            _kind, writer = inflate.INFLATED[case.mutator.removeprefix("inflate:")]
            with archive.open(name, "w", force_zip64=True) as out:
                writer(out, sample.member_bytes(case.kind, case.course), profile.INFLATE_MB << 20)
        elif case.mutator == "zip_crc":
            archive.writestr(name, mutation.data or b"", compress_type=zipfile.ZIP_STORED)
        else:
            archive.writestr(name, mutation.data or b"")
    if case.mutator == "zip_crc":
        _damage(path, name)
    return Built(path, member, untouched)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _damage(path: Path, name: str) -> None:
    """Flip a byte in the middle of a stored zip member's data: its CRC no longer matches."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    with open(path, "r+b") as file:
        file.seek(info.header_offset + 26)
        name_length = int.from_bytes(file.read(2), "little")
        extra_length = int.from_bytes(file.read(2), "little")
        start = info.header_offset + 30 + name_length + extra_length
        at = start + max(0, info.compress_size // 2)
        file.seek(at)
        byte = file.read(1) or b"\0"
        file.seek(at)
        file.write(bytes([byte[0] ^ 0xFF]))


# -- the database ---------------------------------------------------------------------------------


class Database:
    """Raw SQL on the database an import wrote to (ours in process, or the child's)."""

    def __init__(self, connect: Callable[[], object], quote: Callable[[str], str]) -> None:
        self._connect = connect
        self.quote = quote
        self._weighers: dict[str, sample.Fold] = {}

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        connection = self._connect()
        cursor = connection.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def tables(self) -> list[str]:
        from django.db import connection

        return [t for t in connection.introspection.table_names() if not t.startswith("sqlite_")]

    def counts(self, tables: list[str]) -> dict[str, int]:
        sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {self.quote(t)}" for t in tables)
        return dict(self.query(sql))

    def rows(self, table: str, columns: list[str] | None = None) -> list[tuple]:
        names = ", ".join(map(self.quote, columns)) if columns else "*"
        return sorted(self.query(f"SELECT {names} FROM {self.quote(table)}"), key=repr)

    def columns(self, table: str) -> list[str]:
        from django.db import connection

        with connection.cursor() as cursor:
            return [c.name for c in connection.introspection.get_table_description(cursor, table)]

    def folds(self, table: str) -> dict[str, sample.Fold]:
        """The text columns of ``table`` that the database does not compare as they are, and how.

        On MariaDB, every text column: its collation decides which texts are equal (``_ci`` ones
        ignore letter case, accents and, in the Unicode ones, control characters; all but the
        ``nopad`` ones ignore trailing spaces), and the database itself says what it compares, a
        text's weight under the collation. SQLite's ``NOCASE``, which edx-opaque-keys gives course
        and usage key columns there, folds ASCII letters only; other columns compare as they are.
        """
        from django.db import connection

        if connection.vendor == "mysql":  # the child's database is this one
            columns = self.query(
                "SELECT column_name, collation_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = %s AND collation_name IS NOT NULL",
                (table,),
            )
            return {column: self._weigher(collation) for column, collation in columns}
        with connection.cursor() as cursor:
            description = connection.introspection.get_table_description(cursor, table)
        return {c.name: _fold_ascii for c in description if (c.collation or "").upper() == "NOCASE"}

    def _weigher(self, collation: str) -> sample.Fold:
        """A fold that gives a text's weight under a MariaDB collation (what it compares)."""
        if collation not in self._weighers:
            pad = "nopad" not in collation
            sql = f"SELECT WEIGHT_STRING(CONVERT(%s USING utf8mb4) COLLATE {collation})"

            @functools.cache
            def weigh(text: str) -> Weighed:
                (weight,) = self.query(sql, (text.rstrip(" ") if pad else text,))[0]
                return Weighed(bytes(weight), text)

            self._weighers[collation] = weigh
        return self._weighers[collation]

    def view_folds(self, view: sample.View) -> dict[tuple[str, str], sample.Fold]:
        """The folds of a view's columns, by ``(table, column)``."""
        found = {}
        for table in view.tables:
            found.update({(table, column): fold for column, fold in self.folds(table).items()})
        return found

    def view(self, view: sample.View, *, folded: bool = True) -> list[set[tuple]]:
        """Each of the view's selects' rows, values as the oracle writes them (``folded``: text
        folded as the database compares it), or as they are."""
        folds = self.view_folds(view) if folded else {}
        fold = [folds.get(source) for source in view.sources]
        names = _Quoted(self.quote)
        return [
            {tuple(sample.normal(value, f) for value, f in zip(row, fold, strict=True)) for row in rows}
            for rows in (self.query(select.format_map(names)) for select in view.selects)
        ]

    def records(self) -> dict[str, tuple[str, str]]:
        """member -> (outcome, message) of the latest import record of each member."""
        table = self.quote("edx_schema_importrecord")
        rows = self.query(f"SELECT member, outcome, message FROM {table} ORDER BY id")
        return {member: (outcome, message) for member, outcome, message in rows}


class _Quoted(dict):
    """``{table}`` in a view's SQL, quoted for the database."""

    def __init__(self, quote: Callable[[str], str]) -> None:
        super().__init__()
        self.quote = quote

    def __missing__(self, table: str) -> str:
        return self.quote(table)


@dataclass(frozen=True)
class Weighed:
    """A text as a MariaDB collation compares it: equal to another of the same weight; shown as itself."""

    weight: bytes
    text: str = field(compare=False)

    def __repr__(self) -> str:
        return repr(self.text)


def _fold_ascii(text: str) -> str:
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def django_database() -> Database:
    from django.db import connection

    def connect():
        connection.ensure_connection()
        return connection

    return Database(connect, connection.ops.quote_name)


# -- running an import ----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the user saw: exit status, output, and how much memory the import took."""

    exit_ok: bool
    text: str
    crash: str | None = None  # an exception other than CommandError, with its traceback
    hung: bool = False
    signal: int | None = None
    peak_mb: float = 0.0


class Hung(Exception):
    """The case ran longer than profile.CASE_TIMEOUT_S."""


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def expire(signum, frame):
        raise Hung(f"no outcome after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_in_process(path: Path, *, read_output: Callable[[], str]) -> Outcome:
    """``manage.py import_package PATH`` through call_command; memory is the traced peak."""
    import traceback

    from django.core.management import CommandError, call_command

    out, err = StringIO(), StringIO()
    outcome = Outcome(exit_ok=True, text="")
    tracemalloc.reset_peak()
    try:
        with _deadline(profile.CASE_TIMEOUT_S):
            call_command("import_package", str(path), stdout=out, stderr=err)
    except CommandError as error:
        outcome.exit_ok = False
        err.write(f"CommandError: {error}\n")
    except Hung:
        outcome.exit_ok, outcome.hung = False, True
    except Exception:
        outcome.exit_ok = False
        outcome.crash = traceback.format_exc()
    outcome.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    outcome.text = out.getvalue() + err.getvalue() + read_output()
    return outcome


# manage.py under an address-space cap, so that a runaway reader fails fast instead of eating
# the machine (the cap is far above the limit checked). On its way out it writes its peak
# resident memory: its own VmHWM, and its helper processes' through RUSAGE_CHILDREN. (wait4's
# ru_maxrss cannot serve: Linux carries the parent's peak over into a child's across fork and
# exec, so a child of a big pytest process would seem big.)
_LIMITED = """
import atexit, resource, runpy, sys
cap = int(sys.argv[1]) << 20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
report = sys.argv[2]

def peak():
    with open("/proc/self/status") as status:
        own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(report, "w") as out:
        out.write(str(max(own, helpers)))

atexit.register(peak)
sys.argv = sys.argv[3:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
ADDRESS_SPACE_MB = 3_072


def run_child(path: Path, *, database_url: str) -> Outcome:
    """``manage.py import_package PATH`` in a process of its own; memory is its peak RSS.

    The peak is what the process reports on exit, or, if it never gets there (killed), the
    highest VmHWM seen of it and its helpers while it ran.
    """
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="settings.test", DATABASE_URL=database_url)
    with open(os.devnull, "rb") as stdin, _temporary() as out, _temporary() as err, _temporary() as peak:
        command = [
            sys.executable,
            "-c",
            _LIMITED,
            str(ADDRESS_SPACE_MB),
            peak.name,
            "manage.py",
            "import_package",
            str(path),
        ]
        child = subprocess.Popen(
            command, cwd=sample.ROOT, env=env, stdin=stdin, stdout=out, stderr=err, start_new_session=True
        )
        deadline = time.monotonic() + profile.CASE_TIMEOUT_S
        hung = False
        seen_kb = 0
        while True:
            pid, status, _usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            seen_kb = max(seen_kb, _family_peak_kb(child.pid))
            if time.monotonic() > deadline and not hung:
                hung = True
                os.killpg(child.pid, signal.SIGKILL)
            time.sleep(0.02)
        child.returncode = os.waitstatus_to_exitcode(status)
        with suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # helpers it left behind
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace") + err.read().decode("utf-8", "replace")
        reported = Path(peak.name).read_text().strip()
    code = child.returncode
    return Outcome(
        exit_ok=code == 0,
        text=text,
        hung=hung,
        signal=-code if code < 0 else None,
        peak_mb=max(seen_kb, int(reported or 0)) / 1024,
    )


def _family_peak_kb(pid: int) -> int:
    """The highest VmHWM of a process and its descendants now (0 for those already gone)."""
    peak = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        with suppress(OSError):
            status = Path(f"/proc/{current}/status").read_text()
            peak = max(
                peak,
                next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0),
            )
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pending += [int(child) for child in children]
    return peak


@contextmanager
def _temporary():
    import tempfile

    with tempfile.NamedTemporaryFile() as file:
        yield file


# -- the checks -----------------------------------------------------------------------------------


@dataclass
class State:
    """What the database held before a case ran: every table's count, and the rows of the tables
    the mutated member fills."""

    counts: dict[str, int]
    filled_rows: dict[str, list[tuple]]


@dataclass
class Expected:
    """What the untouched member stores, and the clean member's rows (for mutations that keep meaning)."""

    untouched_rows: int
    clean_rows: list[tuple] | None = None
    clean_columns: list[str] = field(default_factory=list)


def snapshot(db: Database, case: Case, tables: list[str]) -> State:
    return State(db.counts(tables), {t: db.rows(t) for t in sample.tables_filled(case.kind)})


def check(
    *,
    mutation: Mutated,
    built: Built,
    outcome: Outcome,
    db: Database,
    before: State,
    expected: Expected,
    tables: list[str],
    others: frozenset[str] = frozenset(),
) -> list[str]:
    """Everything that is wrong with this case's outcome (empty if nothing).

    ``others``: tables that the package's other members fill in this same run (besides the
    untouched member's), which a failed member leaves free to change.
    """
    problems: list[str] = []
    untouched_table = sample.table_of(mutation.untouched_kind)
    member_name, untouched_name = sample.label(built.member), sample.label(built.untouched)
    if outcome.hung:
        return [f"hung: no outcome after {profile.CASE_TIMEOUT_S} s"]
    if outcome.crash:
        problems.append("an exception escaped the command:\n" + _indent(outcome.crash))
    elif TRACEBACK in outcome.text:
        problems.append("a traceback was printed:\n" + _indent(_excerpt(outcome.text, TRACEBACK)))
    if outcome.signal:
        problems.append(f"the import was killed by signal {outcome.signal}")
    if outcome.peak_mb > profile.MEMORY_LIMIT_MB:
        problems.append(f"peak memory {outcome.peak_mb:.0f} MB, over the {profile.MEMORY_LIMIT_MB} MB limit")
    if SECRET in outcome.text:
        problems.append("the content of a file outside the package was printed")
    records = db.records()
    after_counts = db.counts(tables)
    member = records.get(built.member)
    if member is not None and SECRET in member[1]:
        problems.append("the content of a file outside the package was stored in the import log")
    changed = _changed_rows(db, before, others)
    if outcome.crash or outcome.signal or TRACEBACK in outcome.text:  # what follows is moot
        if changed and (member is None or member[0] != "loaded"):
            problems.append(f"{', '.join(changed)}: rows changed although the member did not load")
        return problems
    untouched = records.get(built.untouched)
    if untouched is None or untouched[0] != "loaded":
        problems.append(f"the untouched member {untouched_name} did not load: {untouched}")
    elif after_counts.get(untouched_table) != expected.untouched_rows:
        stored = after_counts.get(untouched_table)
        problems.append(f"the untouched member stored {stored} rows, not {expected.untouched_rows}")
    if outcome.exit_ok:
        if member is None or member[0] != "loaded":
            problems.append(f"exit status 0, but {member_name} is not recorded as loaded: {member}")
        problems += _check_complete(mutation, db, before, expected, others)
    else:
        if member is None:
            problems.append(f"exit status non-zero, but {member_name} has no import record")
        elif member[0] != "failed":
            problems.append(f"exit status non-zero, but {member_name} is recorded as {member[0]}")
        else:
            problems += _check_message(member[1], member_name, outcome.text)
        problems += [f"{table}: the member failed but {what}" for table, what in changed.items()]
        ignored = {*sample.tables_filled(mutation.untouched_kind), "edx_schema_importrecord", *others}
        counted = {
            t: (before.counts[t], after_counts[t])
            for t in tables
            if t not in ignored and before.counts[t] != after_counts[t]
        }
        if counted:
            problems.append(f"the member failed but these tables changed (rows before, after): {counted}")
    return problems


def _changed_rows(db: Database, before: State, others: frozenset[str]) -> dict[str, str]:
    """The tables the member fills whose rows are not what they were, and how."""
    changed = {}
    for table, rows in before.filled_rows.items():
        after = db.rows(table)
        if table not in others and after != rows:
            changed[table] = f"left {len(after) - len(rows):+} rows ({len(rows)} before, {len(after)} after)"
            if len(after) == len(rows):
                changed[table] = f"changed rows: {sorted(set(after) ^ set(rows), key=repr)[:2]}"
    return changed


def untouched_rows(mutation: Mutated) -> int:
    """What the untouched member of a case stores."""
    kind = mutation.untouched_kind
    return sample.expected_rows(kind, sample.member_bytes(kind, mutation.case.course))


def _check_complete(
    mutation: Mutated, db: Database, before: State, expected: Expected, others: frozenset[str]
) -> list[str]:
    """A loaded member stored every row: its view holds the file's rows (its distinct keys)."""
    case = mutation.case
    if mutation.data is None:  # inflated: the oracle would have to read hundreds of MiB
        return []
    if case.kind in sample.DOCUMENTS:
        return _check_document(mutation, db)
    view = sample.view(case.kind)
    try:
        wanted = sample.expected_view(case.kind, mutation.data, course=case.course, folds=db.view_folds(view))
    except sample.NoOracle as error:
        return [f"the member loaded, but it does not decode ({error})"]
    if wanted.says_nothing:
        changed = _changed_rows(db, before, others)
        return [f"{table}: a zero-length member {what}" for table, what in changed.items()]
    problems = []
    for select, stored in zip(view.selects, db.view(view), strict=True):
        missing, extra = wanted.rows - stored, stored - wanted.rows
        if missing or (extra and wanted.exact):
            where = re.search(r"FROM \{(\w+)\}", select).group(1)  # the table the select reads first
            problems.append(
                f"{where}: the member loaded {len(stored)} rows, but the file has {len(wanted.rows)} "
                f"(not all or nothing); not stored: {_some(missing)}; not in the file: {_some(extra)}"
            )
    if mutation.same_meaning and expected.clean_rows is not None:
        rows = clean_rows(db, case.kind, expected.clean_columns)
        if rows != expected.clean_rows:
            differ = sorted(set(rows) ^ set(expected.clean_rows), key=repr)[:2]
            problems.append(f"the stored rows differ from the clean member's: {differ}")
    return problems


def _check_document(mutation: Mutated, db: Database) -> list[str]:
    """A loaded document stored as many rows as it holds (as the oracle counts them)."""
    try:
        wanted = sample.expected_rows(mutation.case.kind, mutation.data or b"")
    except sample.NoOracle:
        return []
    stored = len(db.rows(sample.table_of(mutation.case.kind)))
    if stored != wanted:
        return [f"the member loaded {stored} rows, but the file has {wanted} (not all or nothing)"]
    return []


def _some(rows: set[tuple]) -> str:
    return repr(sorted(rows, key=repr)[:2]) if rows else "-"


def _check_message(message: str, member_name: str, text: str) -> list[str]:
    problems = []
    if member_name not in message:
        problems.append(f"the failure message does not name {member_name}: {message[:300]!r}")
    if member_name not in text:
        problems.append(f"the command's output does not name {member_name}")
    if len(message) > MESSAGE_LIMIT:
        problems.append(f"the failure message is {len(message)} characters long (file content echoed?)")
    if _RAW_CONTROL.search(message):
        problems.append(f"the failure message holds raw control characters: {message[:300]!r}")
    return problems


def clean_columns(db: Database, case: Case) -> list[str]:
    """The member's own columns (a natural-key table's id is the database's, not the file's)."""
    table = sample.table_of(case.kind)
    header = sample.header(case.kind, sample.member_bytes(case.kind, case.course))
    skip = {"id"} if sample.view(case.kind).columns != ("id",) else set()
    return [c for c in db.columns(table) if c in header and c not in skip]


def clean_rows(db: Database, kind: str, columns: list[str]) -> list[tuple]:
    """What a member stored, to compare with what the clean member stored: its table's columns,
    or, for a join member (whose rows refer to rows it made, by ids that differ from run to
    run), its view's rows."""
    view = sample.view(kind)
    if view.join:
        return [tuple(sorted(rows, key=repr)) for rows in db.view(view, folded=False)]
    return db.rows(sample.table_of(kind), columns)


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.strip().splitlines()[-25:])


def _excerpt(text: str, marker: str) -> str:
    """The last traceback in ``text`` (its last lines name the exception)."""
    return text[text.rindex(marker) :]


def report(failures: list[tuple[Mutated, list[str]]], total: int) -> str:
    """The failure report: each case with its mutation, seed and how to replay it."""
    lines = [f"{len(failures)} of {total} fuzz cases failed:"]
    for mutation, problems in failures:
        lines.append(f"- {mutation.describe()}")
        lines += [f"    * {p}" for p in problems]
        lines.append(f"    {mutation.case.replay_hint()}")
    return "\n".join(lines)


# -- in this process ------------------------------------------------------------------------------


def preload(paths: list[str], folder: Path, *, package: str = sample.PACKAGE) -> None:
    """Load the members a case's member refers to; the cases' packages then find them imported.

    ``package``: the package to load them from (last week's, for members the case's package holds).
    """
    from django.core.management import call_command

    if not paths:
        return
    top = folder / package
    for path in paths:
        (top / path).parent.mkdir(parents=True, exist_ok=True)
        (top / path).write_bytes(sample.members()[path])
    call_command("import_package", str(top), verbosity=0)


@dataclass
class Result:
    mutation: Mutated
    problems: list[str]
    outcome: Outcome
    record: tuple[str, str] | None  # the member's (outcome, message) in the import log


class Runner:
    """Runs cases of one kind in this process against the test's database; keeps the failures.

    Each case runs in a savepoint that is rolled back afterwards, so that one test database
    serves them all (on MariaDB too), after the tables the kind refers to are loaded once. A
    member that replaces its course's set finds last week's set there (the sample's member, of
    the week before, loaded in the savepoint): a complete load leaves the file's set, no more.
    """

    def __init__(self, kind: str, tmp_path: Path, capfd) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self.capfd = capfd
        self.db = django_database()
        self.tables = self.db.tables()
        self.expected: dict[str, Expected] = {}
        self.failures: list = []

    def read_output(self) -> str:
        captured = self.capfd.readouterr()
        return captured.out + captured.err

    def run(self, mutation: Mutated) -> Result:
        """Run one case in a savepoint rolled back afterwards; its failure is kept."""
        from django.db import transaction

        case = mutation.case
        built = build_package(mutation, fresh_folder(self.tmp_path, "case"))
        expected = self.expected[case.course]
        savepoint = transaction.savepoint()
        try:
            if case.kind in sample.REPLACES_SET:
                last_week = [sample.member_path(case.kind, case.course)]
                preload(last_week, fresh_folder(self.tmp_path, "last-week"), package=sample.LAST_WEEK)
            before = snapshot(self.db, case, self.tables)
            self.read_output()
            outcome = run_in_process(built.path, read_output=self.read_output)
            problems = check(
                mutation=mutation,
                built=built,
                outcome=outcome,
                db=self.db,
                before=before,
                expected=expected,
                tables=self.tables,
            )
            if case.mutator == "none" and not problems and case.kind not in sample.DOCUMENTS:
                expected.clean_columns = clean_columns(self.db, case)
                expected.clean_rows = clean_rows(self.db, case.kind, expected.clean_columns)
            record = self.db.records().get(built.member)
        finally:
            transaction.savepoint_rollback(savepoint)
        if problems:
            self.failures.append((mutation, problems))
        return Result(mutation, problems, outcome, record)

    def prepare(self, course: str, *, like: Mutated | None = None, clean: bool = True) -> None:
        """Load what the kind's cases in this course need, and run the clean member.

        ``like``: a case whose untouched member and extra tables differ from the usual ones.
        ``clean=False``: do not run the clean member (nor learn the rows it stores).
        """
        clean_case = mutated(Case(self.kind, course, "none"))
        if like is not None:
            clean_case.beside, clean_case.extra = like.beside, like.extra
        preload(clean_case.prerequisites(), fresh_folder(self.tmp_path, f"preload-{course}"))
        self.expected[course] = Expected(untouched_rows=untouched_rows(clean_case))
        if not clean:
            return
        # The clean member must load and pass every check, or the harness itself is wrong.
        result = self.run(clean_case)
        if not result.outcome.exit_ok and not result.problems:
            self.failures.append((result.mutation, [f"the clean member did not load: {result.record}"]))


def fresh_folder(root: Path, name: str) -> Path:
    folder = root / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder
