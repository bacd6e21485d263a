"""Benchmark: recompute_from_scores against a raw read of the studentmodule rows plus a raw bulk insert.

    python bench/recompute_from_scores.py                          # 100,000 learners x 20 x 5, SQLite
    python bench/recompute_from_scores.py --learners 10000         # a quick run (1M studentmodule rows)
    python bench/recompute_from_scores.py --backend sqlite mysql   # MariaDB too (BENCH_MYSQL_URL)

For each backend a child process creates a fresh database and fills it with one course: the LMS
default grading policy, an outline of 20 graded subsections (12 Homework, 6 Lab, a Midterm and a
Final) of 5 problems each, every problem of weight 2; the learners and their enrollments; and
their ``courseware_studentmodule`` rows (grade 0 to 3 of max_grade 3; one problem in 13 opened but
not answered, grade NULL; every 50th learner has no row; every 7th skipped two subsections),
written by ``INSERT ... SELECT`` from two small helper tables (learners and problem keys), not
through Python. There are no stored subsection grades. It then times, in alternating runs:

- the baseline: a raw DB-API ``SELECT student_id, module_id, grade, max_grade, created`` of the
  course's studentmodule rows ``ORDER BY student_id``, fetched to the end with ``fetchmany``,
  plus a raw ``executemany`` INSERT of as many subsection-grade rows as edx-schema writes
  (every value a parameter: MySQLdb sends such an INSERT as multi-row statements), committed;
- edx-schema: ``recompute_from_scores(course_id=..., all_learners=False)``: every learner's
  subsection grades computed from the scores and the new ones inserted (with their
  visible-blocks records), then the course grades recomputed. The course-grade part is timed on
  its own (``recompute_course``, called at the end) and reported apart: the target compares the
  subsection part with the baseline.

Subsection grades, visible-blocks records and course grades are deleted between runs (not
timed); the best run of each counts. It prints both times and their ratio (target: at most
2.0), the course-grade part, the machine's load average before and after (a shared machine:
baseline and edx-schema run interleaved so that both see the same load), and the peak RSS of a
child process that only recomputes (target: below 200 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.recompute_grades import (  # noqa: E402
    fresh_database,
    load_text,
    print_every_run,
    read_all,
    setup_django,
)

MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/edx_schema_bench_scores")
COURSE = "course-v1:BenchX+SC101+2024"
FORMATS = ["Homework"] * 12 + ["Lab"] * 6 + ["Midterm Exam", "Final Exam"]
TARGET = 2.0
RSS_LIMIT_MB = 200
BATCH = 10_000
NOW = "2024-11-18 00:00:00"


def subsection(index: int) -> str:
    return f"block-v1:BenchX+SC101+2024+type@sequential+block@s{index:02d}"


def problem(index: int, number: int) -> str:
    return f"block-v1:BenchX+SC101+2024+type@problem+block@s{index:02d}p{number}"


def attempted(learners: int) -> int:
    """The subsection grades the data makes: those with a studentmodule row (see ``seed``)."""
    total = 0
    for user in range(1, learners + 1):
        if user % 50:
            total += sum(1 for index in range(len(FORMATS)) if not skipped(user, index))
    return total


def skipped(user: int, index: int) -> bool:
    return user % 7 == 0 and (user + index) % 9 == 0


def seed(learners: int, problems: int) -> int:
    """Fill the database with the course; return the number of studentmodule rows."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from edx_schema.package.course import Block
    from edx_schema.services.outline import save_grading_policy, save_outline

    call_command("migrate", verbosity=0)
    save_grading_policy(course_id=COURSE, text="{}", source="bench (the LMS default policy)")
    start = {"start": "2024-01-01T00:00:00Z"}  # released (a course with no start opens in 2030)
    root = COURSE.replace("course-v1:", "block-v1:") + "+type@course+block@course"
    blocks = [Block(root, "course", None, 0, 0, "Bench", start, start)]
    for index, fmt in enumerate(FORMATS):
        meta = {"graded": True, "format": fmt}
        blocks.append(Block(subsection(index), "sequential", root, len(blocks), 1, f"S{index}", meta, meta))
        for number in range(problems):
            blocks.append(
                Block(problem(index, number), "problem", subsection(index), len(blocks), 2, "P",
                      {"weight": 2}, meta)
            )  # fmt: skip
    save_outline(course_id=COURSE, blocks=blocks)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_learner (id integer NOT NULL PRIMARY KEY)")
        cursor.execute(
            "CREATE TABLE bench_problem (module_id varchar(255) NOT NULL PRIMARY KEY, s integer NOT NULL,"
            " p integer NOT NULL, created varchar(32) NOT NULL)"
        )
        cursor.executemany(
            "INSERT INTO bench_problem (module_id, s, p, created) VALUES (%s, %s, %s, %s)",
            [
                (problem(index, number), index, number, f"2024-11-{index + 1:02d} 10:00:{number:02d}")
                for index in range(len(FORMATS))
                for number in range(problems)
            ],
        )
    for start in range(1, learners + 1, BATCH):
        ids = range(start, min(start + BATCH, learners + 1))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_learner (id) VALUES (%s)", [(i,) for i in ids])
            cursor.executemany(
                "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email,"
                " is_staff, is_active, date_joined) VALUES (%s, '', 0, %s, '', '', %s, 0, 1, %s)",
                [(i, f"learner{i}", f"learner{i}@example.org", NOW) for i in ids],
            )
            cursor.executemany(
                "INSERT INTO student_courseenrollment (user_id, course_id, created, is_active, mode)"
                " VALUES (%s, %s, %s, 1, 'audit')",
                [(i, COURSE, NOW) for i in ids],
            )
            # The rows in the order of the unique (student_id, module_id, course_id) index.
            cursor.execute(
                "INSERT INTO courseware_studentmodule (module_type, module_id, student_id, course_id, state,"
                " grade, max_grade, done, created, modified)"
                " SELECT 'problem', k.module_id, u.id, %s, NULL,"
                " CASE WHEN (u.id + k.s + k.p) %% 13 = 0 THEN NULL ELSE (u.id * 7 + k.s * 3 + k.p) %% 4 END,"
                " 3, 'na', k.created, k.created FROM bench_learner u CROSS JOIN bench_problem k"
                " WHERE u.id >= %s AND u.id < %s AND u.id %% 50 <> 0"
                " AND NOT (u.id %% 7 = 0 AND (u.id + k.s) %% 9 = 0) ORDER BY u.id, k.module_id",
                [COURSE, ids.start, ids.stop],
            )
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM courseware_studentmodule WHERE course_id = %s", [COURSE])
        return cursor.fetchone()[0]


def baseline(rows: int) -> float:
    """Read the course's studentmodule rows, write ``rows`` subsection-grade rows."""
    from django.db import connection, transaction

    from edx_schema.models import VisibleBlocks

    hashed = VisibleBlocks.objects.not_exported(COURSE).hashed  # the rows' visible_blocks_hash
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        fetched = read_all(
            cursor,
            "SELECT student_id, module_id, grade, max_grade, created FROM courseware_studentmodule"
            " WHERE course_id = %s ORDER BY student_id",
            [COURSE],
        )
        user, index, written = 1, 0, 0
        while written < rows:
            batch = []
            for _ in range(min(BATCH, rows - written)):
                batch.append(
                    (user, COURSE, subsection(index), "", 1.0, 10.0, 1.0, 10.0, NOW, hashed, NOW, NOW)
                )
                index += 1
                if index == len(FORMATS):
                    user, index = user + 1, 0
            cursor.executemany(
                "INSERT INTO grades_persistentsubsectiongrade (user_id, course_id, usage_key, course_version,"
                " earned_all, possible_all, earned_graded, possible_graded, first_attempted,"
                " visible_blocks_hash, created, modified)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                batch,
            )
            written += len(batch)
    seconds = time.perf_counter() - started
    assert fetched > 0
    return seconds


def ours() -> dict:
    """recompute_from_scores, its course-grade part (recompute_course) timed apart."""
    from edx_schema.services import scores

    course_part = []
    recompute_course = scores.recompute_course

    def timed_recompute_course(**kwargs):
        started = time.perf_counter()
        result = recompute_course(**kwargs)
        course_part.append(time.perf_counter() - started)
        return result

    scores.recompute_course = timed_recompute_course
    try:
        started = time.perf_counter()
        result = scores.recompute_from_scores(course_id=COURSE, all_learners=False)
        seconds = time.perf_counter() - started
    finally:
        scores.recompute_course = recompute_course
    assert result.course is not None
    return {
        "total_s": seconds,
        "course_s": course_part[0],
        "subsections_s": seconds - course_part[0],
        "new": result.new,
        "learners": result.learners,
        "course_new": result.course.new,
    }


def clear() -> None:
    """Delete what a run wrote: subsection grades, their visible-blocks records, course grades."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in (
            "grades_persistentcoursegrade",
            "grades_persistentsubsectiongrade",
            "grades_visibleblocks",
        ):
            cursor.execute(f"DELETE FROM {table}")


def child(mode: str, learners: int, problems: int, runs: int) -> dict:
    setup_django()
    if mode == "rss":
        clear()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        result = ours()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        clear()
        return {**result, "rss_before_mb": before, "rss_peak_mb": peak}
    started = time.perf_counter()
    modules = seed(learners, problems)
    seeded = time.perf_counter() - started
    expected = attempted(learners)
    load_before = os.getloadavg()[0]
    base, mine = [], []
    for round_ in range(runs):
        for which in ("ours", "baseline") if round_ % 2 else ("baseline", "ours"):
            if which == "baseline":
                base.append(baseline(expected))
            else:
                result = ours()
                assert result["new"] == expected, (result["new"], expected)
                assert result["course_new"] == learners, (result["course_new"], learners)
                mine.append(result)
            clear()
    best = min(mine, key=lambda r: r["subsections_s"])
    return {
        "modules": modules,
        "subsection_rows": expected,
        "seed_s": seeded,
        "baseline_s": min(base),
        **best,
        "load": [load_before, os.getloadavg()[0]],
        "all": {
            "baseline": base,
            "subsections": [r["subsections_s"] for r in mine],
            "course": [r["course_s"] for r in mine],
        },
    }


def run_child(backend: str, mode: str, args: argparse.Namespace, scratch: Path) -> dict:
    url = f"sqlite:///{scratch / 'bench.sqlite3'}" if backend == "sqlite" else MYSQL_URL
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="settings.local", PYTHONPATH=str(ROOT))
    if mode == "time":
        fresh_database(url)
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--learners", str(args.learners),
         "--problems", str(args.problems), "--runs", str(args.runs)],
        cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--problems", type=int, default=5, help="Problems per subsection.")
    parser.add_argument("--backend", nargs="+", choices=("sqlite", "mysql"), default=["sqlite"])
    parser.add_argument("--runs", type=int, default=2, help="Alternating runs of each; the best counts.")
    parser.add_argument("--child", choices=("time", "rss"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.learners, args.problems, args.runs)))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="edx-schema-bench-") as temporary:
        for backend in args.backend:
            rows = args.learners * len(FORMATS) * args.problems
            print(
                f"{backend}: seeding {args.learners:,} learners (about {rows:,} studentmodule rows) ...",
                flush=True,
            )
            timed = run_child(backend, "time", args, Path(temporary))
            memory = run_child(backend, "rss", args, Path(temporary))
            results.append((backend, timed, memory))
    print()
    print(f"{'backend':<8} {'modules':>11} {'rows out':>10} {'baseline s':>11} {'subsections s':>14}"
          f" {'ratio':>6} {'target':>7} {'course s':>9} {'load':>11}"
          f" {'RSS MB (start/peak)':>20}")  # fmt: skip
    failed = False
    for backend, t, m in results:
        ratio = t["subsections_s"] / t["baseline_s"]
        ok = ratio <= TARGET and m["rss_peak_mb"] < RSS_LIMIT_MB
        failed |= not ok
        load = load_text(t["load"])
        print(
            f"{backend:<8} {t['modules']:>11,} {t['subsection_rows']:>10,} {t['baseline_s']:>11.2f}"
            f" {t['subsections_s']:>14.2f} {ratio:>6.2f} {'<= ' + str(TARGET):>7} {t['course_s']:>9.2f}"
            f" {load:>11} {str(m['rss_before_mb']) + ' / ' + str(m['rss_peak_mb']):>20}"
            f" {'ok' if ok else 'MISSED'}"
        )
    print_every_run(results)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
