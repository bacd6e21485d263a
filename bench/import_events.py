# ruff: noqa: E501  (the baselines are scripts in strings, run in child processes)
"""Benchmark: import_package of an org's tracking logs against a raw decode-and-load of the same lines.

    python bench/import_events.py                                  # 1M events, SQLite and MariaDB, RSS at 1M and 10M
    python bench/import_events.py --events 200000 --rss-events 200000 --backend sqlite   # a quick check

It builds one package with ``make_package --events N`` (8 daily ``.log.gz`` files; a child
process), then for each backend times in alternating runs, each
in a child process of its own, on a freshly created and migrated database each (an emptied InnoDB table
would still be purging the previous run's rows):

- the baseline: for each log, ``gzip`` read line by line, each line's JSON from its first ``{``
  decoded by ``json.loads`` (lines that do not decode are dropped), the columns extracted (the
  fields by name, ``event`` and ``context`` re-serialised by ``json.dumps``, the time cut to
  ``YYYY-MM-DD HH:MM:SS.ffffff``, the line's SHA-256 as the unique key the table needs) and
  stored: on MariaDB by ``LOAD DATA LOCAL INFILE`` from a pipe that a thread fills as it decodes
  (so decoding and loading overlap, as in the import), on SQLite by ``executemany`` in batches
  of 2,000. No validation, no family, block or course derivation, no dedup bookkeeping: the
  least any loader of these columns does. Timed from the first byte read to the commit.
- edx-schema: ``manage.py import_package PACKAGE --tables events -v0``, the whole command as a
  user runs it, start-up included (it reads every file twice: once for its checksum).

It prints events, seconds and events/s of each (best run), the ratio baseline seconds / import
seconds (target >= 0.8 on both), and the import's peak RSS for each ``--rss-events`` size
(target < 200 MB, and flat: the largest within 20% of the smallest). Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.import_studentmodule import child  # noqa: E402

RATIO_TARGET = 0.8
RSS_LIMIT_MB = 200
RSS_FLAT = 1.2
MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/edx_bench_events")
TABLE = "edx_schema_trackingevent"

# The baseline's work on one line: shared by both backends' scripts.
BASELINE_DECODE = r"""
import gzip, hashlib, json, os, sys, time
from pathlib import Path

COLUMNS = ("file_id", "line", "line_hash", "time", "event_type", "name", "event_source", "family",
           "username", "user_id", "course_id", "org_id", "page", "session", "host", "ip", "agent",
           "referer", "accept_language", "event", "context")

def rows(paths):
    number = 0  # one file row stands for every file: lines are numbered across them
    for path in paths:
        with gzip.open(path, "rb") as f:
            for raw in f:
                number += 1
                start = raw.find(b"{")
                if start < 0:
                    continue
                key = raw[start:].rstrip()
                try:
                    e = json.loads(key)
                except ValueError:
                    continue
                if not isinstance(e, dict) or "time" not in e:
                    continue
                c = e.get("context") or {}
                t = e["time"]
                uid = c.get("user_id")
                yield (1, number, hashlib.sha256(key).hexdigest()[:32], t[:10] + " " + t[11:26],
                       e.get("event_type") or e.get("name"), e.get("name"), e.get("event_source"), "other",
                       e.get("username"), uid if isinstance(uid, int) else None, c.get("course_id") or "",
                       c.get("org_id") or "", e.get("page"), e.get("session"), e.get("host"), e.get("ip"),
                       e.get("agent"), e.get("referer"), e.get("accept_language"),
                       json.dumps(e.get("event")), json.dumps(c))

paths = sorted(Path(sys.argv[1]).rglob("*.log.gz"))
"""

BASELINE_MYSQL = (
    BASELINE_DECODE
    + r"""
import threading, MySQLdb, dj_database_url
d = dj_database_url.parse(os.environ["DATABASE_URL"])
conn = MySQLdb.connect(host=d["HOST"], port=int(d["PORT"] or 3306), user=d["USER"], password=d["PASSWORD"] or "",
                       database=d["NAME"], local_infile=1, charset="utf8mb4")
cur = conn.cursor()
cur.execute("INSERT INTO edx_schema_trackinglogfile (id, sha256, name, package, site, `lines`, events, inserted, "
            "duplicates, bad_lines, filtered, complete, loaded_at) VALUES (1, 'b', 'b', 'b', '', 0, 0, 0, 0, 0, 0, 1, NOW())")
conn.commit()
def field(v):
    if v is None:
        return "\\N"
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") if ("\\" in s or "\t" in s or "\n" in s) else s
read_fd, write_fd = os.pipe()
count = [0]
def fill():
    with open(write_fd, "w", encoding="utf-8", buffering=1 << 16) as out:
        for row in rows(paths):
            out.write("\t".join(map(field, row)) + "\n")
            count[0] += 1
started = time.perf_counter()
thread = threading.Thread(target=fill)
thread.start()
cur.execute(f"LOAD DATA LOCAL INFILE '/dev/fd/{read_fd}' INTO TABLE edx_schema_trackingevent CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (" + ", ".join(COLUMNS) + ")")
conn.commit()
thread.join()
print(json.dumps({"seconds": time.perf_counter() - started, "rows": count[0]}))
"""
)

BASELINE_SQLITE = (
    BASELINE_DECODE
    + r"""
import sqlite3
conn = sqlite3.connect(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))
conn.execute("INSERT INTO edx_schema_trackinglogfile (id, sha256, name, package, site, lines, events, inserted, "
             "duplicates, bad_lines, filtered, complete, loaded_at) VALUES (1, 'b', 'b', 'b', '', 0, 0, 0, 0, 0, 0, 1, '2024-01-01')")
conn.commit()
sql = f"INSERT INTO edx_schema_trackingevent ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
started = time.perf_counter()
count = 0
batch = []
for row in rows(paths):
    batch.append(row)
    if len(batch) == 2000:
        conn.executemany(sql, batch)
        count += len(batch)
        batch = []
conn.executemany(sql, batch)
count += len(batch)
conn.commit()
print(json.dumps({"seconds": time.perf_counter() - started, "rows": count}))
"""
)


def environment(backend: str, scratch: Path) -> dict[str, str]:
    url = f"sqlite:///{scratch / 'bench.sqlite3'}" if backend == "sqlite" else MYSQL_URL
    return dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="settings.local", PYTHONPATH=str(ROOT))


def sql(env: dict[str, str], statements: str, *, database: bool = True) -> None:
    """Run ``;``-separated statements on the bench database (MariaDB) or file (SQLite)."""
    script = (
        "import os, dj_database_url\n"
        "c = dj_database_url.parse(os.environ['DATABASE_URL'])\n"
        "if 'sqlite' in c['ENGINE']:\n"
        "    import sqlite3; conn = sqlite3.connect(c['NAME'])\n"
        "else:\n"
        "    import MySQLdb\n"
        "    conn = MySQLdb.connect(host=c['HOST'], port=int(c['PORT'] or 3306), user=c['USER'],"
        f" password=c['PASSWORD'] or '', **({{'database': c['NAME']}} if {database} else {{}}))\n"
        f"cur = conn.cursor()\nfor s in {statements!r}.split(';'):\n    cur.execute(s)\nconn.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)


def fresh_database(backend: str, env: dict[str, str], scratch: Path) -> None:
    if backend == "sqlite":
        (scratch / "bench.sqlite3").unlink(missing_ok=True)
    else:
        name = MYSQL_URL.rsplit("/", 1)[1]
        sql(
            env,
            f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} CHARACTER SET utf8mb4",
            database=False,
        )
    child(env, sys.executable, "manage.py", "migrate", "-v0")


def build(events: int, folder: Path) -> Path:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="settings.local", PYTHONPATH=str(ROOT))
    learners = max(200, events // 500)
    args = ("make_package", str(folder), "--events", str(events), "--learners", str(learners), "-v0")
    seconds, _rss, _out = child(env, sys.executable, "manage.py", *args)
    print(f"built {events:,} events ({learners:,} learners) in {seconds:.0f} s", flush=True)
    return next(folder.iterdir())


def stored(env: dict[str, str]) -> int:
    script = (
        "import django; django.setup()\nfrom edx_schema.models import TrackingEvent\n"
        "print(TrackingEvent.objects.count())\n"
    )
    return int(child(env, sys.executable, "-c", script)[2])


def measure_ratio(backend: str, package: Path, repeat: int, scratch: Path) -> dict:
    env = environment(backend, scratch)
    code = BASELINE_SQLITE if backend == "sqlite" else BASELINE_MYSQL
    baseline, ours, rss, events = [], [], 0, 0
    command = (sys.executable, "manage.py", "import_package", str(package), "--tables", "events", "-v0")
    for _ in range(repeat):
        fresh_database(backend, env, scratch)  # no purge of a previous run's rows going on
        _s, _rss, out = child(env, sys.executable, "-c", code, str(package))
        result = json.loads(out)
        baseline.append(result["seconds"])
        fresh_database(backend, env, scratch)  # no purge of a previous run's rows going on
        seconds, peak, _out = child(env, *command)
        events = stored(env)
        ours.append(seconds)
        rss = max(rss, peak)
        print(f"  {backend}: baseline {result['seconds']:.1f} s ({result['rows']:,} rows), "
              f"import_package {seconds:.1f} s ({events:,} events)", flush=True)  # fmt: skip
    return {"backend": backend, "events": events, "baseline_s": min(baseline), "ours_s": min(ours),
            "baseline_per_s": events / min(baseline), "ours_per_s": events / min(ours),
            "ratio": min(baseline) / min(ours), "rss_mb": rss}  # fmt: skip


def measure_rss(backend: str, package: Path, scratch: Path) -> tuple[int, float]:
    env = environment(backend, scratch)
    fresh_database(backend, env, scratch)
    seconds, peak, _out = child(
        env, sys.executable, "manage.py", "import_package", str(package), "--tables", "events", "-v0"
    )
    return peak, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--rss-events", default="1000000,10000000", help="Comma-separated sizes for peak RSS."
    )
    parser.add_argument("--backend", choices=("sqlite", "mysql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    backends = ("sqlite", "mysql") if options.backend == "both" else (options.backend,)
    scratch = Path(tempfile.mkdtemp(prefix="edx-bench-events-"))
    ok = True
    try:
        package = build(options.events, scratch / "package")
        results = [measure_ratio(b, package, options.repeat, scratch) for b in backends]
        rss: dict[int, tuple[int, float]] = {}
        for size in sorted({int(s) for s in options.rss_events.split(",") if s}):
            target = package if size == options.events else build(size, scratch / f"rss-{size}")
            rss[size] = measure_rss(backends[-1], target, scratch)
            if target != package:
                shutil.rmtree(target.parent)
        print()
        print(
            f"{'backend':8} {'events':>10} {'baseline s':>11} {'import s':>9} {'baseline/s':>11} {'import/s':>9} {'ratio':>6}"
        )
        for r in results:
            print(f"{r['backend']:8} {r['events']:>10,} {r['baseline_s']:>11.1f} {r['ours_s']:>9.1f} "
                  f"{r['baseline_per_s']:>11,.0f} {r['ours_per_s']:>9,.0f} {r['ratio']:>6.2f}")  # fmt: skip
            if r["ratio"] < RATIO_TARGET:
                ok = False
                print(f"  ratio below the {RATIO_TARGET} target")
        for size, (peak, seconds) in sorted(rss.items()):
            print(
                f"peak RSS of import_package ({backends[-1]}), {size:,} events: {peak} MB ({seconds:.0f} s)"
            )
        peaks = [peak for peak, _ in rss.values()]
        if peaks and (max(peaks) >= RSS_LIMIT_MB or max(peaks) > RSS_FLAT * min(peaks)):
            ok = False
            print(f"  peak RSS over {RSS_LIMIT_MB} MB, or not flat (largest > {RSS_FLAT} x smallest)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
