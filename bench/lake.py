# ruff: noqa: E501  (a report's lines read best whole)
"""Benchmark: the Parquet lake, both ways, on a package of 5M studentmodule rows and 5M events.

    python bench/lake.py                                          # 50,000 learners x 100 problems, 5M events
    python bench/lake.py --learners 2000 --events 200000 --repeat 1   # a quick check
    python bench/lake.py --package PATH --parts export               # a package built before; one part

It builds one package with ``make_package`` (4 courses, 40 problems each; a child process), then
measures, each run in a child process of its own:

- **the Spark job** (``edx_schema.lake.job.run_job``, as ``python -m edx_schema.lake`` runs it) at
  ``local[1]`` and at ``local[2]``, in alternating runs, the best of each: seconds from the
  session's start to the manifest, and the speed-up of two cores over one (target >= 1.3: one
  task per member, and a package has many). Also the driver's own peak RSS (target < 300 MB:
  rows never pass through it, only each member's counts and rejects);
- **export_lake** of the same package, imported into a fresh SQLite (or ``--backend mysql``)
  database beforehand (not timed), against **pyarrow writing the same rows already decoded**:
  each file of the exported lake read into memory first (not timed), then written again with
  the same compression, one table at a time. That is the limit of any exporter of these rows;
  the ratio is export rows/s over pyarrow rows/s.

It prints rows, seconds and rows/s of each, the ratios, and exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.import_studentmodule import child, environment, fresh_database  # noqa: E402

PROBLEMS = 40
COURSES = 4
SPEEDUP_TARGET = 1.3
DRIVER_RSS_MB = 300


def build(learners: int, events: int, folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "manage.py", "make_package", str(folder), "--courses", str(COURSES),
         "--learners", str(learners), "--problems", str(PROBLEMS), "--events", str(events), "-v0"],
        cwd=ROOT, check=True, env=dict(os.environ, DATABASE_URL=f"sqlite:///{folder / 'unused.sqlite3'}"),
    )  # fmt: skip
    return next(path for path in folder.iterdir() if path.is_dir())


def lines(paths) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 24):
                total += block.count(b"\n")
    return total


# -- the children -----------------------------------------------------------------------------------


def job_child(package: str, out: str, master: str) -> dict:
    """The Spark job in this process: its seconds, rows and this (the driver's) peak RSS."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "edx_schema.lake.job_settings"
    import django

    django.setup()
    from edx_schema.lake.job import run_job, spark_session

    started = time.perf_counter()
    spark = spark_session(master, app="bench")
    spark.sparkContext.setLogLevel("ERROR")
    result = run_job(spark=spark, paths=[package], out=Path(out))
    seconds = time.perf_counter() - started
    spark.stop()
    return {
        "seconds": seconds,
        "rows": result.rows,
        "studentmodule": result.tables.get("courseware_studentmodule", 0),
        "events": result.tables.get("edx_schema_trackingevent", 0),
        "failed": result.failed,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def export_child(out: str) -> dict:
    import django

    django.setup()
    from edx_schema.lake.export import export_lake

    started = time.perf_counter()
    result = export_lake(out=Path(out), full=True)
    return {"seconds": time.perf_counter() - started, "rows": result.rows}


def pyarrow_child(lake: str, out: str) -> dict:
    """Every file of ``lake`` read into memory, then written again (only the writes are timed)."""
    import pyarrow.parquet as pq

    seconds, rows = 0.0, 0
    for table in sorted(Path(lake).iterdir()):
        if not table.is_dir():
            continue
        loaded = [(path, pq.read_table(path)) for path in sorted(table.glob("**/*.parquet"))]
        started = time.perf_counter()
        for path, data in loaded:
            target = Path(out) / path.relative_to(lake)
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(data, target, compression="zstd", write_statistics=True)
            rows += data.num_rows
        seconds += time.perf_counter() - started
        del loaded
    return {"seconds": seconds, "rows": rows}


# -- the parent ------------------------------------------------------------------------------------


def measure(env: dict[str, str], *args: str) -> dict:
    """A child's measurement, with its peak RSS (``child_rss_mb``)."""
    _seconds, rss, output = child(env, sys.executable, __file__, *args)
    return {**json.loads(output.strip().splitlines()[-1]), "child_rss_mb": rss}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--learners", type=int, default=50_000, help="In the first course (the others have half)."
    )
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="Alternating runs of each; the best counts.")
    parser.add_argument(
        "--backend", choices=("sqlite", "mysql"), default="sqlite", help="export_lake's database."
    )
    parser.add_argument(
        "--package", type=Path, help="A package built before (by these options), not built again."
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=("job", "export"),
        default=["job", "export"],
        help="What to measure (both).",
    )
    parser.add_argument("--child", choices=("job", "export", "pyarrow"), help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        runner = {"job": job_child, "export": export_child, "pyarrow": pyarrow_child}[args.child]
        print(json.dumps(runner(*args.args)))
        return

    scratch = Path(tempfile.mkdtemp(prefix="edx-bench-lake-"))
    try:
        if args.package:
            package = args.package
        else:
            print(
                f"building the package ({args.learners:,} learners, {args.events:,} events) ...", flush=True
            )
            package = build(args.learners, args.events, scratch / "package")
        studentmodule = lines(package.glob("*courseware_studentmodule*.sql")) - COURSES
        print(f"  {studentmodule:,} studentmodule rows, {package}")
        ok = True
        if "job" in args.parts:
            ok &= report_job(measure_job(package, args.repeat, scratch))
        if "export" in args.parts:
            report_export(*measure_export(package, args.repeat, args.backend, scratch), backend=args.backend)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0 if ok else 1)


def measure_job(package: Path, repeat: int, scratch: Path) -> dict[str, dict]:
    """The job at local[1] and local[2], alternating: the best run of each."""
    env = dict(environment("sqlite", scratch), PYTHONPATH=str(ROOT))
    best: dict[str, dict] = {}
    for run in range(repeat):
        for master in ("local[1]", "local[2]"):
            out = scratch / "lake-job"
            shutil.rmtree(out, ignore_errors=True)
            measured = measure(env, "--child", "job", str(package), str(out), master)
            if measured["failed"]:
                raise SystemExit(f"members failed: {measured['failed']}")
            print(f"  run {run + 1}, job at {master}: {measured['seconds']:.1f} s, {measured['rows']:,} rows, "
                  f"driver RSS {measured['rss_mb']} MB", flush=True)  # fmt: skip
            if master not in best or measured["seconds"] < best[master]["seconds"]:
                best[master] = measured
    return best


def measure_export(package: Path, repeat: int, backend: str, scratch: Path) -> tuple[dict, dict]:
    """export_lake of the imported package, and pyarrow writing its rows again: the best of each."""
    print(f"importing into a fresh {backend} database for export_lake (not timed) ...", flush=True)
    env = dict(environment(backend, scratch), PYTHONPATH=str(ROOT))
    fresh_database(backend, env, scratch)
    child(env, sys.executable, "manage.py", "import_package", str(package), "-v0")
    export: dict | None = None
    written: dict | None = None
    for run in range(repeat):
        exported = scratch / "lake-export"
        shutil.rmtree(exported, ignore_errors=True)
        measured = measure(env, "--child", "export", str(exported))
        print(
            f"  run {run + 1}, export_lake: {measured['seconds']:.1f} s, {measured['rows']:,} rows",
            flush=True,
        )
        export = measured if export is None or measured["seconds"] < export["seconds"] else export
        again = scratch / "lake-pyarrow"
        shutil.rmtree(again, ignore_errors=True)
        measured = measure(env, "--child", "pyarrow", str(exported), str(again))
        print(f"  run {run + 1}, pyarrow: {measured['seconds']:.1f} s, {measured['rows']:,} rows", flush=True)
        written = measured if written is None or measured["seconds"] < written["seconds"] else written
    return export, written


def report_job(best: dict[str, dict]) -> bool:
    one, two = best["local[1]"], best["local[2]"]
    speedup = one["seconds"] / two["seconds"]
    rss = max(one["rss_mb"], two["rss_mb"])
    print()
    print(
        f"Spark job, {one['rows']:,} rows ({one['studentmodule']:,} studentmodule, {one['events']:,} events):"
    )
    print(f"  local[1] {one['seconds']:.1f} s ({one['rows'] / one['seconds']:,.0f} rows/s)")
    print(f"  local[2] {two['seconds']:.1f} s ({two['rows'] / two['seconds']:,.0f} rows/s)")
    ok_speedup = speedup >= SPEEDUP_TARGET
    print(
        f"  speed-up local[2] / local[1]: {speedup:.2f} (target >= {SPEEDUP_TARGET}: {'met' if ok_speedup else 'MISSED'})"
    )
    ok_rss = rss < DRIVER_RSS_MB
    print(f"  driver peak RSS: {rss} MB (target < {DRIVER_RSS_MB} MB: {'met' if ok_rss else 'MISSED'})")
    return ok_speedup and ok_rss


def report_export(export: dict, written: dict, *, backend: str) -> None:
    export_rate = export["rows"] / export["seconds"]
    limit_rate = written["rows"] / written["seconds"]
    print()
    print(
        f"export_lake from {backend}: {export['rows']:,} rows in {export['seconds']:.1f} s ({export_rate:,.0f} rows/s)"
    )
    print(f"pyarrow writing the same rows, decoded: {written['seconds']:.1f} s ({limit_rate:,.0f} rows/s)")
    print(f"  export_lake / pyarrow rows/s: {export_rate / limit_rate:.2f} (pyarrow alone is the limit, 1.0)")
    print(f"  export_lake's peak RSS: {export['child_rss_mb']} MB")


if __name__ == "__main__":
    main()
