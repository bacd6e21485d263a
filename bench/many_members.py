"""Benchmark: import time against the number of members in a package (must be linear).

    python bench/many_members.py                          # SQLite and MariaDB, 1,000 and 10,000 members
    python bench/many_members.py --backend sqlite --sizes 500,2000,8000

For each backend, package form (folder and zip) and size N it writes a package of N empty
``auth_user`` members, one per course (as a package of many small courses has), imports it into a
fresh database in a child process and times the ``import_package`` call alone.

The baseline is linear growth from the smallest size: ``t(n) * N / n``. The ratio of the measured
time to it is 1.0 for a linear import and grows with N for a quadratic one (before the fix: 500
members 2.6 s, 1,000 7.4 s, 2,000 25.6 s; 10,000 did not finish in 300 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/edx_schema_bench_members")
PACKAGE = "org-2024-11-17"


def child(path: str) -> dict:
    """In a fresh process: migrate, then time one import of ``path``."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from edx_schema.models import ImportRecord

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("import_package", path, verbosity=0)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "recorded": ImportRecord.objects.count()}


def write_package(folder: Path, members: int, form: str) -> Path:
    """``members`` zero-length auth_user files, in a folder or a zip."""
    names = [f"Org-C{i:05d}-1T2024-auth_user-prod-analytics.sql" for i in range(members)]
    if form == "folder":
        package = folder / PACKAGE
        package.mkdir()
        for name in names:
            (package / name).touch()
        return package
    package = folder / f"{PACKAGE}.zip"
    with zipfile.ZipFile(package, "w") as archive:
        for name in names:
            archive.writestr(f"{PACKAGE}/{name}", b"")
    return package


def measure(backend: str, form: str, members: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-members-") as scratch:
        package = write_package(Path(scratch), members, form)
        if backend == "sqlite":
            url = f"sqlite:///{scratch}/bench.sqlite3"
        else:
            url = MYSQL_URL
            name = url.rsplit("/", 1)[1]
            subprocess.run(
                [
                    "mariadb",
                    "-h127.0.0.1",
                    "-uroot",
                    "-e",
                    f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`",
                ],
                check=True,
            )
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="settings.local")
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(package)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output.splitlines()[-1])
        if result["recorded"] != members:
            raise SystemExit(
                f"{backend} {form} {members}: {result['recorded']} members recorded, not {members}"
            )
        return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "mysql", "both"), default="both")
    parser.add_argument("--sizes", default="1000,10000", help="Comma-separated member counts (1000,10000).")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    sizes = sorted(int(n) for n in args.sizes.split(","))
    backends = ("sqlite", "mysql") if args.backend == "both" else (args.backend,)
    header = ("backend", "form", "members", "seconds", "ms/member", "linear s", "ratio")
    print("{:8} {:7} {:>8} {:>9} {:>10} {:>9} {:>6}".format(*header))
    for backend in backends:
        for form in ("folder", "zip"):
            first = None
            for members in sizes:
                seconds = measure(backend, form, members)["seconds"]
                first = first or (members, seconds)
                linear = first[1] * members / first[0]
                print(
                    f"{backend:8} {form:7} {members:>8,} {seconds:>9.2f} {1000 * seconds / members:>10.2f} "
                    f"{linear:>9.2f} {seconds / linear:>6.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
