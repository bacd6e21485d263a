"""``manage.py recompute_grades``: course grades exactly as the LMS computes them."""

from __future__ import annotations

import sys

from django.core.management.base import CommandError

from edx_schema.errors import EdxSchemaError
from edx_schema.management.arguments import course_key
from edx_schema.management.base import EdxSchemaCommand
from edx_schema.models import GradingPolicy
from edx_schema.services.recompute import CourseResult, course_ids_with_policy, recompute_course

ROUNDINGS = {"4": 4, "2": 2, "none": None}


class Command(EdxSchemaCommand):
    help = (
        "Recompute grades_persistentcoursegrade from subsection grades (overrides applied), the "
        "course outline and the grading policy, exactly as the LMS does. Rows that need no change "
        "are left alone; passed_timestamp is set the first time a learner passes, never cleared."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--course", action="append", metavar="KEY", help="A course (repeatable).")
        which.add_argument("--all", action="store_true", help="Every course with a grading policy.")
        parser.add_argument("--user", action="append", type=int, metavar="ID", help="Only these learners.")
        parser.add_argument(
            "--subsection-rounding",
            choices=sorted(ROUNDINGS),
            default="4",
            help="Decimals of subsection percents: 4 (LMS since 2024), 2 (2018-2024) or none (before).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Compute, but write nothing.")
        parser.add_argument("--diff", action="store_true", help="Compare with the stored grades.")

    def handle(self, *args, **options):
        courses = course_ids_with_policy() if options["all"] else [self._course(k) for k in options["course"]]
        if not courses:
            raise CommandError("No course has a grading policy yet: import a package first.")
        verbosity = options["verbosity"]
        bar = None
        for course in courses:
            if verbosity >= 1 and sys.stderr.isatty():
                from tqdm import tqdm

                bar = tqdm(desc=course, unit=" learners", file=sys.stderr, leave=False)
            try:
                result = recompute_course(
                    course_id=course,
                    user_ids=options["user"],
                    subsection_rounding=ROUNDINGS[options["subsection_rounding"]],
                    dry_run=options["dry_run"],
                    progress=(lambda n, b=bar: b.update(n - b.n)) if bar else (lambda n: None),
                )
            except EdxSchemaError as error:
                raise CommandError(str(error)) from None
            finally:
                if bar is not None:
                    bar.close()
            if verbosity >= 1:
                self._report(result, diff=options["diff"], dry_run=options["dry_run"])

    def _course(self, key: str) -> str:
        course = str(course_key(key))
        if not GradingPolicy.objects.filter(course_id=course).exists():
            known = ", ".join(course_ids_with_policy()[:5]) or "none yet"
            raise CommandError(
                f"Unknown course {course}: no grading policy for it (courses with one: {known}). "
                f"Import its package, or run manage.py set_grading_policy {course} grading_policy.json."
            )
        return course

    def _report(self, result: CourseResult, *, diff: bool, dry_run: bool) -> None:
        verb = "would be" if dry_run else "were"
        self.stdout.write(self.style.MIGRATE_HEADING(f"{result.course_id}: {result.learners} learners"))
        self.stdout.write(
            f"  {result.new} new, {result.changed} changed, {result.unchanged} unchanged course grades "
            f"({result.new + result.changed} {verb} written)"
        )
        if diff:
            self.stdout.write(
                f"  letter changes: {result.letter_flips}, pass/fail changes: {result.pass_flips}"
            )
            if result.largest:
                self.stdout.write("  largest changes:")
                for change in result.largest:
                    self.stdout.write(
                        f"    user {change.user_id}: {change.old_percent:.2f} -> {change.new_percent:.2f}"
                        f"  {change.old_letter or '-'} -> {change.new_letter or '-'}"
                    )
