"""Benchmark: import_package against a raw load of the same courseware_studentmodule file.

    python bench/import_studentmodule.py                   # 1M rows, SQLite and MariaDB, RSS at 1M and 5M
    python bench/import_studentmodule.py --rows 200000 --rss-rows 200000 --backend sqlite

For each backend it builds one synthetic package (make_package), creates a fresh database, then
times, in alternating runs:

- the baseline: on MySQL/MariaDB a raw ``LOAD DATA LOCAL INFILE`` of the member file into the
  same table (``NULL`` mapped to NULL, nothing else checked); on SQLite a raw sqlite3
  ``executemany`` of rows split beforehand (file reading and splitting are not timed);
- edx-schema: ``manage.py import_package`` on the package, the whole command, start-up included.

It prints rows/s for both and their ratio against the targets (MySQL >= 0.8, SQLite >= 0.7), and
the peak RSS of the import process for each ``--rss-rows`` size (target < 200 MB). Every
measurement runs in a child process of its own, so RSS is the import's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = 40
TABLE = "courseware_studentmodule"
TARGETS = {"sqlite": 0.7, "mysql": 0.8}
RSS_LIMIT_MB = 200
MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/edx_schema_bench")


def build(rows: int, folder: Path) -> Path:
    """A one-course package whose studentmodule member has exactly ``rows`` rows."""
    learners = rows // PROBLEMS
    if learners * PROBLEMS != rows:
        raise SystemExit(f"--rows must be a multiple of {PROBLEMS}")
    subprocess.run(
        [sys.executable, "manage.py", "make_package", str(folder), "--courses", "1",
         "--learners", str(learners), "--problems", str(PROBLEMS), "-v0"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    return next(folder.iterdir())


def member(package: Path) -> Path:
    return next(package.glob(f"*-{TABLE}-prod-analytics.sql"))


def environment(backend: str, scratch: Path) -> dict[str, str]:
    url = f"sqlite:///{scratch / 'bench.sqlite3'}" if backend == "sqlite" else MYSQL_URL
    return dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="settings.local", PYTHONPATH=str(ROOT))


def child(env: dict[str, str], *args: str) -> tuple[float, int, str]:
    """Run a child process; return (wall seconds, peak RSS in MB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read() if process.stdout else ""
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(args)}")
    return seconds, usage.ru_maxrss // 1024, output


def fresh_database(backend: str, env: dict[str, str], scratch: Path) -> None:
    if backend == "sqlite":
        (scratch / "bench.sqlite3").unlink(missing_ok=True)
    else:
        name = MYSQL_URL.rsplit("/", 1)[1]
        run_sql(
            env, f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} CHARACTER SET utf8mb4", db=False
        )
    child(env, sys.executable, "manage.py", "migrate", "-v0")


def run_sql(env: dict[str, str], sql: str, *, db: bool = True) -> None:
    script = (
        "import MySQLdb, os, dj_database_url\n"
        "c = dj_database_url.parse(os.environ['DATABASE_URL'])\n"
        "conn = MySQLdb.connect(host=c['HOST'], port=int(c['PORT'] or 3306), user=c['USER'],"
        f" password=c['PASSWORD'] or '', **({{'database': c['NAME']}} if {db} else {{}}))\n"
        f"cur = conn.cursor()\nfor s in {sql!r}.split(';'):\n    cur.execute(s)\nconn.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)


BASELINE_MYSQL = """
import MySQLdb, os, sys, time, json, dj_database_url
c = dj_database_url.parse(os.environ["DATABASE_URL"])
conn = MySQLdb.connect(host=c["HOST"], port=int(c["PORT"] or 3306), user=c["USER"],
                       password=c["PASSWORD"] or "", database=c["NAME"], local_infile=1, charset="utf8mb4")
cur = conn.cursor()
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    header = f.readline().rstrip("\\n").split("\\t")
nullable = {"state", "grade", "max_grade"}
columns = ", ".join("@" + h if h in nullable else h for h in header)
assign = ", ".join(f"{h} = NULLIF(@{h}, 'NULL')" for h in header if h in nullable)
started = time.perf_counter()
cur.execute(
    f"LOAD DATA LOCAL INFILE %s INTO TABLE courseware_studentmodule CHARACTER SET utf8mb4 "
    f"FIELDS TERMINATED BY '\\\\t' ESCAPED BY '\\\\\\\\' LINES TERMINATED BY '\\\\n' IGNORE 1 LINES "
    f"({columns}) SET {assign}", [path])
conn.commit()
print(json.dumps({"seconds": time.perf_counter() - started, "rows": cur.rowcount}))
"""

BASELINE_SQLITE = """
import sqlite3, os, sys, time, json
path = sys.argv[1]
conn = sqlite3.connect(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))
with open(path, encoding="utf-8", newline="") as f:
    header = f.readline().rstrip("\\n").split("\\t")
    rows = [line.rstrip("\\n").split("\\t") for line in f]
sql = f"INSERT INTO courseware_studentmodule ({', '.join(header)}) VALUES ({', '.join('?' * len(header))})"
started = time.perf_counter()
conn.executemany(sql, rows)
conn.commit()
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(rows)}))
"""


def empty_table(backend: str, env: dict[str, str], scratch: Path) -> None:
    if backend == "sqlite":
        script = (
            "import sqlite3, os\nc = sqlite3.connect(os.environ['DATABASE_URL'].removeprefix('sqlite:///'))\n"
            f"c.execute('DELETE FROM {TABLE}')\n"
            "c.execute('DELETE FROM edx_schema_importrecord')\nc.commit()\n"
            "c.execute('VACUUM')\n"
        )
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)
    else:
        run_sql(env, f"TRUNCATE TABLE {TABLE}; DELETE FROM edx_schema_importrecord")


def import_command(package: Path) -> list[str]:
    return [sys.executable, "manage.py", "import_package", str(package), "--tables", TABLE, "-v0"]


def measure_ratio(backend: str, package: Path, rows: int, repeat: int, scratch: Path) -> dict:
    env = environment(backend, scratch)
    fresh_database(backend, env, scratch)
    baseline_code = BASELINE_SQLITE if backend == "sqlite" else BASELINE_MYSQL
    baseline, ours, rss = [], [], 0
    for _ in range(repeat):
        empty_table(backend, env, scratch)
        _s, _rss, out = child(env, sys.executable, "-c", baseline_code, str(member(package)))
        result = json.loads(out)
        assert result["rows"] == rows, result
        baseline.append(result["seconds"])
        empty_table(backend, env, scratch)
        seconds, peak, _out = child(env, *import_command(package))
        ours.append(seconds)
        rss = max(rss, peak)
    base_rate, our_rate = rows / min(baseline), rows / min(ours)
    return {"backend": backend, "rows": rows, "baseline_rows_s": base_rate, "ours_rows_s": our_rate,
            "ratio": our_rate / base_rate, "target": TARGETS[backend], "rss_mb": rss}  # fmt: skip


def measure_rss(backend: str, package: Path, rows: int, scratch: Path) -> dict:
    env = environment(backend, scratch)
    fresh_database(backend, env, scratch)
    seconds, peak, _out = child(env, *import_command(package))
    return {"backend": backend, "rows": rows, "seconds": seconds, "rss_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rss-rows", type=int, nargs="*", default=[1_000_000, 5_000_000])
    parser.add_argument("--backend", nargs="+", choices=("sqlite", "mysql"), default=["sqlite", "mysql"])
    parser.add_argument("--repeat", type=int, default=2, help="Alternating runs of each; the best counts.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edx-schema-bench-") as temporary:
        scratch = Path(temporary)
        packages = {}
        for rows in sorted({args.rows, *args.rss_rows}):
            print(f"building a package with {rows:,} studentmodule rows ...", flush=True)
            packages[rows] = build(rows, scratch / f"p{rows}")
        ratios = [
            measure_ratio(b, packages[args.rows], args.rows, args.repeat, scratch) for b in args.backend
        ]
        memory = [
            measure_rss(b, packages[rows], rows, scratch) for b in args.backend for rows in args.rss_rows
        ]
        for package in packages.values():
            shutil.rmtree(package.parent, ignore_errors=True)
    print()
    heading = ("backend", "rows", "baseline rows/s", "import rows/s", "ratio", "target")
    print(
        f"{heading[0]:<8} {heading[1]:>10} {heading[2]:>16} {heading[3]:>14} {heading[4]:>6} {heading[5]:>7}"
    )
    failed = False
    for r in ratios:
        ok = r["ratio"] >= r["target"]
        failed |= not ok
        print(
            f"{r['backend']:<8} {r['rows']:>10,} {r['baseline_rows_s']:>16,.0f} {r['ours_rows_s']:>14,.0f} "
            f"{r['ratio']:>6.2f} {'>= ' + str(r['target']):>7} {'ok' if ok else 'MISSED'}"
        )
    print()
    print(f"{'backend':<8} {'rows':>10} {'seconds':>8} {'peak RSS MB':>12} {'limit':>6}")
    for m in memory:
        ok = m["rss_mb"] < RSS_LIMIT_MB
        failed |= not ok
        print(
            f"{m['backend']:<8} {m['rows']:>10,} {m['seconds']:>8.1f} {m['rss_mb']:>12} {RSS_LIMIT_MB:>6} "
            f"{'ok' if ok else 'MISSED'}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
