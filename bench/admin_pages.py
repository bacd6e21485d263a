"""Benchmark: admin pages on a database holding the 1M-row benchmark package.

    python bench/admin_pages.py                      # MariaDB and SQLite, 1,000,000 studentmodule rows
    python bench/admin_pages.py --rows 200000 --backend sqlite

For each backend it builds the package (make_package: one course, 25,000 learners x 40
problems), imports it into a fresh database, and renders a few admin pages, best of 3 each:

- edx-schema's admin (``admin.site``);
- the baseline: the same models under Django's default ``ModelAdmin`` (a full COUNT(*) on every
  page, a paginator that counts the whole list, ``LIKE '%term%'`` search).

It prints the milliseconds of each page for both, their ratio, and our page's query count, then
the learner and course pages (ours alone: Django has no such pages).
Pages run through ``changelist_view`` with a superuser's request, rendered as the admin would.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/edx_schema_bench_admin")
PROBLEMS = 40


def child(rows: int, package: str) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib import admin
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from edx_schema.models import CourseEnrollment, GradingPolicy, PersistentCourseGrade, StudentModule

    call_command("migrate", verbosity=0)
    call_command("import_package", package, verbosity=0)
    if connection.vendor == "mysql":  # fresh InnoDB statistics, as a server has after a while
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE TABLE courseware_studentmodule, auth_user, grades_persistentcoursegrade")
            cursor.fetchall()
    staff = User.objects.create_superuser("bench-staff", "bench-staff@example.org", "x")
    course = str(GradingPolicy.objects.values_list("course_id", flat=True).first())
    learner = StudentModule.objects.order_by("-id").values_list("student_id", flat=True).first()
    username = User.objects.get(pk=learner).username
    baseline_site = admin.AdminSite(name="baseline")
    for model in (StudentModule, User, PersistentCourseGrade, CourseEnrollment):
        baseline_site.register(model, admin.ModelAdmin)
    baseline_site._registry[User].search_fields = ("username", "email")
    baseline_site._registry[StudentModule].search_fields = ("student__username",)
    baseline_site._registry[StudentModule].list_filter = ("course_id", "module_type")
    factory = RequestFactory()

    def render(site, model, params):
        request = factory.get("/admin/x/", params)
        request.user = staff
        request.session = {}
        request._messages = None
        response = site._registry[model].changelist_view(request)
        response.render()
        assert response.status_code == 200, response.status_code

    def timed(site, model, params):
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            render(site, model, params)
            best = min(best, time.perf_counter() - started)
        return best * 1000

    pages = [
        ("studentmodule, first page", StudentModule, {}, {}),
        ("studentmodule, one course", StudentModule, {"course_id": course}, {"course_id": course}),
        ("studentmodule, one learner", StudentModule, {"q": str(learner)}, {"q": username}),
        ("users, first page", User, {}, {}),
        ("users, search a username", User, {"q": username}, {"q": username}),
        ("course grades, first page", PersistentCourseGrade, {}, {}),
        ("enrollments, one course", CourseEnrollment, {"course_id": course}, {"course_id": course}),
    ]
    results = []
    for label, model, ours, theirs in pages:
        with CaptureQueriesContext(connection) as queries:
            render(admin.site, model, ours)
        results.append(
            {
                "page": label,
                "ours_ms": timed(admin.site, model, ours),
                "baseline_ms": timed(baseline_site, model, theirs),
                "queries": len(queries.captured_queries),
            }
        )
    # The learner and course pages have no Django counterpart: ours alone.
    client = Client()
    client.force_login(staff)
    policy = GradingPolicy.objects.get(course_id=course)
    for label, path in (
        ("learner page", reverse("admin:edx_schema_learner", args=[learner])),
        ("course page", reverse("admin:edx_schema_course", args=[policy.pk])),
    ):
        best = float("inf")
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                assert client.get(path).status_code == 200
                best = min(best, time.perf_counter() - started)
        results.append({"page": label, "ours_ms": best * 1000, "baseline_ms": None, "queries": len(queries)})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", nargs="+", choices=("mysql", "sqlite"), default=["mysql", "sqlite"])
    parser.add_argument("--child", nargs=2, metavar=("ROWS", "PACKAGE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1])))
        return
    with tempfile.TemporaryDirectory(prefix="edx-schema-bench-") as temporary:
        scratch = Path(temporary)
        print(f"building a package with {args.rows:,} studentmodule rows ...", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "make_package", str(scratch / "package"), "--courses", "1",
             "--learners", str(args.rows // PROBLEMS), "--problems", str(PROBLEMS), "-v0"],
            cwd=ROOT, check=True,
        )  # fmt: skip
        package = next((scratch / "package").iterdir())
        for backend in args.backend:
            if backend == "sqlite":
                url = f"sqlite:///{scratch / 'bench.sqlite3'}"
            else:
                url = MYSQL_URL
                name = MYSQL_URL.rsplit("/", 1)[1]
                subprocess.run(
                    ["mysql", "--protocol=tcp", "-h127.0.0.1", "-uroot", "-e",
                     f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} CHARACTER SET utf8mb4"],
                    check=True,
                )  # fmt: skip
            print(f"{backend}: importing and rendering pages ...", flush=True)
            env = dict(
                os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="settings.local", PYTHONPATH=str(ROOT)
            )
            output = subprocess.run(
                [sys.executable, __file__, "--child", str(args.rows), str(package)],
                cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True,
            ).stdout  # fmt: skip
            print(f"\n{backend}, {args.rows:,} studentmodule rows")
            print(f"{'page':<28} {'edx-schema ms':>14} {'default admin ms':>17} {'ratio':>6} {'queries':>8}")
            for row in json.loads(output.strip().splitlines()[-1]):
                base = row["baseline_ms"]
                shown = "-" if base is None else f"{base:.1f}"
                ratio = "-" if base is None else f"{row['ours_ms'] / base:.2f}"
                print(f"{row['page']:<28} {row['ours_ms']:>14.1f} {shown:>17} {ratio:>6} {row['queries']:>8}")


if __name__ == "__main__":
    main()
