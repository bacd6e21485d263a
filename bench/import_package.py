"""Benchmark: the whole import_package of a multi-course package against raw LOAD DATA of its members.

    python bench/import_package.py                            # 4 courses, about 1M rows, 2 runs of each
    python bench/import_package.py --rows 100000 --repeat 1   # a quick check
    python bench/import_package.py --courses 8 --learners 5000

It builds one package with ``make_package`` (in a child process, as a folder), sized for ``--rows``
rows in all (two small builds first measure rows per learner) unless ``--learners`` is given.
Then, on MariaDB/MySQL (``BENCH_MYSQL_URL``, default ``mysql://root@127.0.0.1:3306/edx_bench_pkg``),
it times in alternating runs, each in a child process on a freshly created and migrated database:

- edx-schema: ``manage.py import_package PACKAGE -v0``, the whole command as a user runs it,
  start-up included: by default it loads files in as many processes as the machine has cores
  (at most 4), which is what the target is checked against;
- the same with ``--jobs 1`` (one file at a time), and with ``--jobs 2`` unless that is the
  default here;
- the baseline: one raw ``LOAD DATA LOCAL INFILE ... IGNORE`` per member, in the order the import
  loaded them, each committed on its own, with ``foreign_key_checks`` off as in a dump's restore
  (else rows whose parent only the import derives, such as a subsection grade's visible blocks,
  would be dropped, not loaded). Only the LOAD DATA statements and their commits are timed, not
  the start-up, the introspection or the scratch tables' creation.

The members are discovered, not listed: the baseline takes exactly the members the import
recorded as loaded (``edx_schema_importrecord``), into the table the import named for each.

- A tab-separated member loads into that table when every header column is one of its columns
  (``NULL`` read as NULL through ``NULLIF`` for its nullable columns, ``\\`` escapes, ``IGNORE 1
  LINES``; ``IGNORE`` because learners repeat across courses' files). auth_user's constant Askbot
  columns, which the import drops too, are read into a user variable and discarded.
- Any other header (a join member such as ``django_comment_client_role_users``, whose course and
  role name fill the LMS table through natural keys) loads into a scratch table of the header's
  columns, each typed as the same-named column of that table, else ``VARCHAR(255)``: no keys, no
  lookups, so cheaper than the real thing.
- The e-mail opt-in CSV (``FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED
  BY '\\r\\n'``) always loads into a scratch table typed like the import's table: that table is
  edx-schema's own, not the LMS's, and holds what the file does not (the org from its name, whether
  a preference was recorded; a CHECK constraint on those would refuse the raw rows). Forum dumps
  (``.mongo``, one JSON document a line) load into a one-column ``LONGTEXT`` table.
- The course_structure JSON and the OLX tar.gz cannot be loaded with LOAD DATA: they are left out
  of the baseline, and their time stays in the import's. Every simplification above makes the
  baseline faster, so the ratio is conservative.

It prints rows, seconds and rows/s of each (the best run counts), the throughput ratio
edx-schema/baseline (baseline seconds / import seconds, target >= 0.85) of the default command and,
for information, of ``--jobs 1``, the ``--jobs 2`` speed-up (jobs 1 seconds / jobs 2 seconds), the
peak RSS of the import (target < 200 MB; os.wait4's figure: the largest single process, the
largest worker or the parent) and the seconds per table of ``--jobs 1`` beside the baseline's. It
exits 1 when a target is missed, after printing everything.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.import_studentmodule import child as run_child  # noqa: E402
from edx_schema.package.names import AUTH_USER_ASKBOT_COLUMNS, parse_member_name  # noqa: E402  (pure)

MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/edx_bench_pkg")
RATIO_TARGET = 0.85
RSS_LIMIT_MB = 200
#: Learners of the two small builds that measure rows per learner for --rows.
CALIBRATION = (200, 400)
#: Member kinds (names.parse_member_name) LOAD DATA can read, and how: table, CSV, forum dump.
LOADABLE = {"table": "tsv", "email_opt_in": "csv", "forum": "forum"}
FORMATS = {
    "tsv": r"FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' IGNORE 1 LINES",
    "csv": r"""FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '' LINES TERMINATED BY '\r\n'
               IGNORE 1 LINES""",
    # JSON has no raw tab, so each line is one field, read as written.
    "forum": r"FIELDS TERMINATED BY '\t' ESCAPED BY '' LINES TERMINATED BY '\n'",
}
FORUM_TABLE = "bench_forum"


@dataclass(frozen=True)
class Member:
    """One member the baseline loads: its path, its format (a key of FORMATS), the import's table."""

    path: str
    format: str
    table: str
    rows: int


class Record(NamedTuple):
    """One member in the import's log: its path, its table, rows read, outcome, seconds."""

    member: str
    table: str
    rows: int
    outcome: str
    seconds: float


@dataclass
class Runs:
    """The runs of one contender: wall or load seconds, seconds per table, peak RSS, rows."""

    label: str
    seconds: list[float] = field(default_factory=list)
    tables: list[dict[str, float]] = field(default_factory=list)
    rss_mb: list[int] = field(default_factory=list)
    rows: int = 0

    def add(self, seconds: float, tables: dict[str, float], rss_mb: int) -> None:
        self.seconds.append(seconds)
        self.tables.append(tables)
        self.rss_mb.append(rss_mb)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def best_tables(self) -> dict[str, float]:
        """Seconds per table in the best run."""
        return self.tables[self.seconds.index(self.best)]


def per_table(pairs: list[tuple[str, float]]) -> dict[str, float]:
    """Seconds summed per table, from (table, seconds) pairs."""
    totals: dict[str, float] = {}
    for table, seconds in pairs:
        totals[table] = totals.get(table, 0.0) + seconds
    return totals


# --- the package -----------------------------------------------------------------------------


def build(folder: Path, *, courses: int, learners: int, problems: int) -> Path:
    """The package folder make_package writes into ``folder`` (in a child process)."""
    subprocess.run(
        [sys.executable, "manage.py", "make_package", str(folder), "--courses", str(courses),
         "--learners", str(learners), "--problems", str(problems), "-v0"],
        cwd=ROOT, check=True, env=environment(),
    )  # fmt: skip
    return next(folder.iterdir())


def records(path: Path, fmt: str) -> int:
    """The records of a LOAD DATA-able member: its lines but the header (each repeat of it in a CSV)."""
    with path.open("rb") as file:
        if fmt == "forum":
            return sum(1 for _ in file)
        header = file.readline()
        return sum(1 for line in file if not (fmt == "csv" and line == header))


def loadable(package: Path) -> dict[str, str]:
    """Every LOAD DATA-able member of the package: its path inside it -> its format."""
    found = {}
    for path in sorted(package.rglob("*")):
        name = path.relative_to(package).as_posix()
        if path.is_file() and (fmt := LOADABLE.get(parse_member_name(name).kind)):
            found[name] = fmt
    return found


def package_rows(package: Path) -> int:
    return sum(records(package / name, fmt) for name, fmt in loadable(package).items())


def learners_for(rows: int, *, courses: int, problems: int, scratch: Path) -> int:
    """Learners for a package of about ``rows`` rows, from two small builds (rows grow linearly)."""
    sizes = []
    for learners in CALIBRATION:
        package = build(
            scratch / f"calibrate-{learners}", courses=courses, learners=learners, problems=problems
        )
        sizes.append(package_rows(package))
        shutil.rmtree(package.parent)
    per_learner = (sizes[1] - sizes[0]) / (CALIBRATION[1] - CALIBRATION[0])
    fixed = sizes[0] - per_learner * CALIBRATION[0]
    return max(1, round((rows - fixed) / per_learner))


# --- processes and the database --------------------------------------------------------------


def default_jobs() -> int:
    """The command's default --jobs on this machine, as the app defines it (asked in a child)."""
    script = "from edx_schema.importing import default_jobs; print(default_jobs())"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT, env=environment(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(done.stdout.split()[-1])


def environment() -> dict[str, str]:
    return dict(
        os.environ, DATABASE_URL=MYSQL_URL, DJANGO_SETTINGS_MODULE="settings.local", PYTHONPATH=str(ROOT)
    )


def child(*args: str) -> tuple[float, int, str]:
    """Run a child process; return (wall seconds, peak RSS in MB, stdout)."""
    return run_child(environment(), *args)


def connect(*, database: bool = True) -> Any:
    """A MySQLdb connection to BENCH_MYSQL_URL's server (and database), LOCAL INFILE allowed."""
    import dj_database_url
    import MySQLdb

    config = dj_database_url.parse(MYSQL_URL)
    return MySQLdb.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
        charset="utf8mb4",
        local_infile=1,
        **({"database": config["NAME"]} if database else {}),
    )


def fresh_database() -> None:
    """Drop and create the benchmark database, then migrate it (in a child process)."""
    name = MYSQL_URL.rsplit("/", 1)[1]
    connection = connect(database=False)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    connection.close()
    child(sys.executable, "manage.py", "migrate", "-v0")


def import_records() -> list[Record]:
    """Each member the import recorded, in load order."""
    connection = connect()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT member, `table`, rows_read, outcome, TIMESTAMPDIFF(MICROSECOND, started, finished) / 1e6 "
            "FROM edx_schema_importrecord ORDER BY id"
        )
        rows = [Record(*row[:4], float(row[4])) for row in cursor.fetchall()]
    connection.close()
    return rows


# --- the baseline ----------------------------------------------------------------------------


def baseline_members(package: Path, recorded: list[Record]) -> tuple[list[Member], dict]:
    """The members the baseline loads (those the import loaded that LOAD DATA can read), and notes."""
    formats = loadable(package)
    members, left_out = [], {}
    for member, table, rows, outcome, _seconds in recorded:
        if outcome != "loaded":
            raise SystemExit(f"import_package recorded {member} as {outcome}")
        if member in formats:
            members.append(Member(member, formats[member], table, records(package / member, formats[member])))
        else:
            kind = parse_member_name(member).kind
            left_out[kind] = left_out.get(kind, 0) + rows
    loaded = {member for member, *_ in recorded}
    every = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
    return members, {"left_out": left_out, "not_imported": [m for m in every if m not in loaded]}


def header(path: Path, fmt: str) -> list[str]:
    """The column names in the first line of a tab-separated member or of the CSV."""
    with path.open(encoding="utf-8", newline="") as file:
        return next(csv.reader(file), []) if fmt == "csv" else file.readline().rstrip("\n").split("\t")


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def load_statements(package: Path, members: list[Member], schema: dict) -> tuple[list[str], list, list[str]]:
    """(CREATE TABLEs of the scratch tables, (LOAD DATA, path, table) per member, the scratch tables).

    ``table`` is the import's table for the member, which the baseline's times are reported under.

    ``schema`` maps each table to {column: (type, nullable)}, as the database has them.
    """
    creates, loads, scratch = [f"CREATE TABLE {FORUM_TABLE} (document LONGTEXT)"], [], {}
    for member in members:
        path = package / member.path
        if member.format == "forum":
            loads.append((f"LOAD DATA LOCAL INFILE %s INTO TABLE {FORUM_TABLE} CHARACTER SET utf8mb4 "
                          f"{FORMATS['forum']} (document)", str(path), member.table))  # fmt: skip
            continue
        columns = header(path, member.format)
        if not any(columns):
            continue  # a zero-length member: nothing to load
        own = schema.get(member.table, {})
        dropped = AUTH_USER_ASKBOT_COLUMNS if member.table == "auth_user" else ()
        target, typed = member.table, own
        if member.format != "tsv" or not own or not all(c in own or c in dropped for c in columns):
            key = (member.table, tuple(columns))
            if key not in scratch:
                scratch[key] = f"bench_{member.table}"[:58] + f"_{len(scratch)}"
                definitions = ", ".join(
                    f"{quote(c)} {own.get(c, ('VARCHAR(255)',))[0]} NULL" for c in columns
                )
                creates.append(f"CREATE TABLE {quote(scratch[key])} ({definitions})")
            target, typed = scratch[key], {c: (own.get(c, ("VARCHAR(255)",))[0], True) for c in columns}
        fields, nulls = [], []
        for index, column in enumerate(columns):
            if column not in typed:
                fields.append(f"@dropped{index}")
            elif member.format == "tsv" and typed[column][1]:
                fields.append(f"@v{index}")
                nulls.append(f"{quote(column)} = NULLIF(@v{index}, 'NULL')")
            else:
                fields.append(quote(column))
        sql = (
            f"LOAD DATA LOCAL INFILE %s IGNORE INTO TABLE {quote(target)} CHARACTER SET utf8mb4 "
            f"{FORMATS[member.format]} ({', '.join(fields)})" + (f" SET {', '.join(nulls)}" if nulls else "")
        )
        loads.append((sql, str(path), member.table))
    return creates, loads, sorted(set(scratch.values()))


def baseline_child(plan: str) -> dict:
    """In a child process: load every planned member with LOAD DATA; time the loads and commits."""
    spec = json.loads(Path(plan).read_text())
    package, members = Path(spec["package"]), [Member(**m) for m in spec["members"]]
    connection = connect()
    cursor = connection.cursor()
    cursor.execute(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE()"
    )
    schema: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, kind, nullable in cursor.fetchall():
        schema.setdefault(table, {})[column] = (kind, nullable == "YES")
    creates, loads, scratch = load_statements(package, members, schema)
    cursor.execute("SET SESSION foreign_key_checks = 0")
    for create in creates:
        cursor.execute(create)
    timed, inserted = [], 0
    for sql, path, table in loads:
        started = time.perf_counter()
        cursor.execute(sql, [path])
        connection.commit()
        timed.append((table, time.perf_counter() - started))
        inserted += cursor.rowcount
    connection.close()
    return {"tables": per_table(timed), "inserted": inserted, "scratch": scratch}


# --- the runs --------------------------------------------------------------------------------


def run_import(package: Path, runs: Runs, *jobs: str) -> list[Record]:
    """One timed import_package of the package on a fresh database; the members it recorded."""
    fresh_database()
    seconds, rss, _out = child(sys.executable, "manage.py", "import_package", str(package), "-v0", *jobs)
    recorded = import_records()
    runs.add(seconds, per_table([(r.table, r.seconds) for r in recorded]), rss)
    runs.rows = sum(r.rows for r in recorded)
    return recorded


def run_baseline(package: Path, members: list[Member], runs: Runs, scratch: Path) -> dict:
    fresh_database()
    plan = scratch / "plan.json"
    plan.write_text(json.dumps({"package": str(package), "members": [asdict(m) for m in members]}))
    _seconds, rss, output = child(sys.executable, __file__, "--baseline-child", str(plan))
    result = json.loads(output.splitlines()[-1])
    runs.add(sum(result["tables"].values()), result["tables"], rss)
    runs.rows = sum(m.rows for m in members)
    return result


def report(package: Path, learners: int, runs: list[Runs], notes: dict, baseline: dict) -> bool:
    """Print the results; return whether every target was met."""
    ours, serial, *more, raw = runs
    jobs2 = more[0] if more else ours
    print(f"\npackage {package.name}: {learners:,} learners in the first course, {len(notes['members'])} "
          f"members loaded by both, best of {len(raw.seconds)} runs each")  # fmt: skip
    print(f"{'':<34} {'rows':>11} {'seconds':>8} {'rows/s':>9} {'peak RSS MB':>12}")
    for r in runs:
        rss = f"{max(r.rss_mb):>12}" if r is not raw else f"{'':>12}"
        print(f"{r.label:<34} {r.rows:>11,} {r.best:>8.1f} {r.rows / r.best:>9,.0f} {rss}")
    ratio, speedup = raw.best / ours.best, serial.best / jobs2.best
    ok_ratio = ratio >= RATIO_TARGET
    peak = max(max(r.rss_mb) for r in runs if r is not raw)
    ok_rss = peak < RSS_LIMIT_MB
    print()
    print(f"throughput {ours.label}/baseline (baseline s / import s): {ratio:.2f}  target >= {RATIO_TARGET}  "
          f"{'ok' if ok_ratio else 'MISSED'}")  # fmt: skip
    print(f"  the same with --jobs 1 (one file at a time): {raw.best / serial.best:.2f}")
    print(f"--jobs 2 speed-up (jobs 1 s / jobs 2 s): {speedup:.2f}")
    print(f"peak RSS of the import (largest process of any run): {peak} MB  limit < {RSS_LIMIT_MB} MB  "
          f"{'ok' if ok_rss else 'MISSED'}")  # fmt: skip
    print()
    print(f"{'per table, best --jobs 1 run':<42} {'import s':>9} {'LOAD DATA s':>12} {'ratio':>6}")
    mine, theirs = serial.best_tables, raw.best_tables
    for table in sorted(mine, key=mine.get, reverse=True):
        base = f"{theirs[table]:>12.2f} {theirs[table] / mine[table]:>6.2f}" if table in theirs else ""
        print(f"{table:<42} {mine[table]:>9.2f} {base}")
    print(f"{'the rest of the command (start-up, scan...)':<42} {serial.best - sum(mine.values()):>9.2f}")
    print()
    print(f"baseline: {baseline['inserted']:,} rows inserted (the rest: learners repeated across courses, "
          f"or values MariaDB refused under IGNORE)")  # fmt: skip
    if baseline["scratch"]:
        print(f"baseline scratch tables (header not the table's columns): {', '.join(baseline['scratch'])}")
    for kind, rows in sorted(notes["left_out"].items()):
        print(f"left out of the baseline, loaded by the import only: {kind} members ({rows:,} rows read)")
    if notes["not_imported"]:
        print(f"not loaded by import_package, left out of both: {len(notes['not_imported'])} members, e.g. "
              f"{notes['not_imported'][0]}")  # fmt: skip
    return ok_ratio and ok_rss


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--courses", type=int, default=4, help="Courses in the package (4).")
    parser.add_argument("--rows", type=int, default=1_000_000, help="About how many rows in all (1,000,000).")
    parser.add_argument("--learners", type=int, help="Learners in the first course (instead of --rows).")
    parser.add_argument("--problems", type=int, default=8, help="Problems per course (8).")
    parser.add_argument(
        "--repeat", type=int, default=2, help="Alternating runs of each; the best counts (2)."
    )
    parser.add_argument("--baseline-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        print(json.dumps(baseline_child(args.baseline_child)))
        return
    with tempfile.TemporaryDirectory(prefix="edx-schema-bench-") as temporary:
        scratch = Path(temporary)
        learners = args.learners or learners_for(
            args.rows, courses=args.courses, problems=args.problems, scratch=scratch
        )
        print(f"building {args.courses} courses, {learners:,} learners ...", flush=True)
        package = build(scratch / "package", courses=args.courses, learners=learners, problems=args.problems)
        jobs = default_jobs()
        variants = [("edx-schema", ()), ("edx-schema --jobs 1", ("--jobs", "1"))]
        if jobs != 2:
            variants.append(("edx-schema --jobs 2", ("--jobs", "2")))
        runs = [Runs(label if extra else f"{label} (default: --jobs {jobs})") for label, extra in variants]
        runs.append(Runs("LOAD DATA baseline"))
        members: list[Member] = []
        for attempt in range(1, args.repeat + 1):
            for (_label, extra), contender in zip(variants, runs, strict=False):
                recorded = run_import(package, contender, *extra)
                if not members:
                    members, notes = baseline_members(package, recorded)
                    notes["members"] = members
            baseline = run_baseline(package, members, runs[-1], scratch)
            timings = ", ".join(f"{r.label} {r.seconds[-1]:.1f} s" for r in runs)
            print(f"run {attempt}: {timings}", flush=True)
        met = report(package, learners, runs, notes, baseline)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
