"""``manage.py export_vismooc OUTDIR``: the MOOCdb / vismooc extension tables, from the database."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from edx_schema.errors import EdxSchemaError
from edx_schema.management.arguments import course_key
from edx_schema.management.base import EdxSchemaCommand
from edx_schema.services.vismooc import GRADES_FROM, SCRIPT, export_vismooc


class Command(EdxSchemaCommand):
    help = (
        "Write the seven vismooc CSVs (courses, course_video, videos, enrollments, forum, grades, "
        "users) and an import_vismooc_to_moocdb.sql that loads them into MySQL, with usernames "
        "RIPEMD-160 hashed as MOOCdb's tracking-log parser hashes them."
    )

    def add_arguments(self, parser):
        parser.add_argument("outdir", metavar="OUTDIR", help="Where to write the files (created if needed).")
        parser.add_argument("--course", action="append", metavar="KEY", help="Only this course (repeatable).")
        parser.add_argument(
            "--grades-from",
            choices=GRADES_FROM,
            default="certificates",
            help="grades.csv from certificates (as the original) or from the course grades.",
        )
        parser.add_argument("--database", default="moocdb", help="The database the SQL script loads into.")

    def handle(self, *args, **options):
        courses = [str(course_key(key)) for key in options["course"] or []]
        try:
            export = export_vismooc(
                directory=Path(options["outdir"]),
                courses=courses,
                grades_from=options["grades_from"],
                database=options["database"],
            )
        except EdxSchemaError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] < 1:
            return
        for table, rows in export.rows.items():
            self.stdout.write(f"  {table}.csv: {rows} rows")
        if export.users_without_profile:
            self.stdout.write(
                self.style.WARNING(f"  {export.users_without_profile} users have no profile and are left out")
            )
        for course in export.courses_without_outline:
            self.stdout.write(
                self.style.WARNING(f"  {course}: no course outline, so no course or video rows")
            )
        script = export.directory / SCRIPT
        self.stdout.write(self.style.SUCCESS(f"Load with: mysql --local-infile=1 -u USER -p < {script}"))
