"""``manage.py recompute_grades``: course grades exactly as the LMS computes them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError

from edx_schema.errors import EdxSchemaError
from edx_schema.management.arguments import course_key
from edx_schema.management.base import EdxSchemaCommand
from edx_schema.models import GradingPolicy
from edx_schema.services.recompute import CourseResult, course_ids_with_policy, recompute_course
from edx_schema.services.scores import ScoresResult, course_ids_with_content, recompute_from_scores

ROUNDINGS = {"4": 4, "2": 2, "none": None}


class Command(EdxSchemaCommand):
    help = (
        "Recompute grades_persistentcoursegrade from subsection grades (overrides applied), the "
        "course outline and the grading policy, exactly as the LMS does. Rows that need no change "
        "are left alone; passed_timestamp is set the first time a learner passes, never cleared. "
        "With --from-scores, subsection grades are first computed from problem scores "
        "(courseware_studentmodule, ORA submissions) and the course content, as the LMS computes "
        "them, for the learners the package has no subsection grades for."
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
        parser.add_argument(
            "--from-scores",
            action="store_true",
            help="First compute subsection grades from problem scores and store the missing ones "
            "(with their visible blocks); --diff then reports how far they agree with the stored ones.",
        )
        parser.add_argument(
            "--all-learners",
            action="store_true",
            help="With --from-scores: rebuild every learner's subsection grades, rewriting stored "
            "ones that differ (first_attempted is kept, as the LMS keeps it).",
        )

    def handle(self, *args, **options):
        from_scores = options["from_scores"]
        if options["all_learners"] and not from_scores:
            raise CommandError("--all-learners rebuilds subsection grades from scores: add --from-scores.")
        if options["all"]:
            courses = course_ids_with_content() if from_scores else course_ids_with_policy()
        else:
            courses = [self._course(k, from_scores=from_scores) for k in options["course"]]
        if not courses:
            raise CommandError("No course has a grading policy yet: import a package first.")
        if from_scores:
            self._from_scores(courses, options)
            return
        for course in courses:
            with self._errors(), self._progress(course, options["verbosity"]) as progress:
                result = recompute_course(
                    course_id=course,
                    user_ids=options["user"],
                    subsection_rounding=ROUNDINGS[options["subsection_rounding"]],
                    dry_run=options["dry_run"],
                    progress=progress,
                )
            if options["verbosity"] >= 1:
                self._report(result, diff=options["diff"], dry_run=options["dry_run"])

    @staticmethod
    @contextmanager
    def _progress(course: str, verbosity: int) -> Iterator[Callable[[int], None]]:
        """A learner count for a progress bar on stderr, shown only on a terminal."""
        if verbosity < 1 or not sys.stderr.isatty():
            yield lambda learners: None
            return
        from tqdm import tqdm

        with tqdm(desc=course, unit=" learners", file=sys.stderr, leave=False) as bar:
            yield lambda learners: bar.update(learners - bar.n)

    @staticmethod
    @contextmanager
    def _errors() -> Iterator[None]:
        try:
            yield
        except EdxSchemaError as error:
            raise CommandError(str(error)) from None

    def _from_scores(self, courses: list[str], options: dict) -> None:
        for course in courses:
            with self._errors(), self._progress(course, options["verbosity"]) as progress:
                result = recompute_from_scores(
                    course_id=course,
                    all_learners=options["all_learners"],
                    user_ids=options["user"],
                    dry_run=options["dry_run"],
                    subsection_rounding=ROUNDINGS[options["subsection_rounding"]],
                    progress=progress,
                )
            if options["verbosity"] >= 1:
                self._report_scores(result, diff=options["diff"], dry_run=options["dry_run"])

    def _report_scores(self, result: ScoresResult, *, diff: bool, dry_run: bool) -> None:
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            self.style.MIGRATE_HEADING(f"{result.course_id}: {result.learners} learners (from scores)")
        )
        self.stdout.write(
            f"  {result.computed} attempted subsection grades computed: {result.new} new, "
            f"{result.changed} changed, {result.unchanged} unchanged "
            f"({result.new + result.changed} {verb} written)"
        )
        if result.uncertain:
            self.stdout.write(
                self.style.WARNING(
                    f"  {result.uncertain} depend on a random choice the package does not record (a split "
                    "test without the learner's group, a library without its selection)"
                )
            )
        if diff:
            if result.agreement is None:
                self.stdout.write("  no stored subsection grade to compare with")
            else:
                self.stdout.write(
                    f"  agreement with stored subsection grades: {result.agreed} of {result.compared} "
                    f"({100 * result.agreement:.2f}%)"
                )
            if result.largest:
                self.stdout.write(
                    "  largest differences (earned_all, possible_all, earned_graded, possible_graded):"
                )
                for d in result.largest:
                    stored = ", ".join(f"{v:g}" for v in d.stored)
                    computed = ", ".join(f"{v:g}" for v in d.computed)
                    self.stdout.write(
                        f"    user {d.user_id} {d.usage_key}: stored {stored}; computed {computed}"
                    )
        if result.course is not None:
            self._report(result.course, diff=diff, dry_run=dry_run)
        else:
            self.stdout.write("  no grading policy: course grades not recomputed")

    def _course(self, key: str, *, from_scores: bool = False) -> str:
        course = str(course_key(key))
        if from_scores and course in course_ids_with_content():
            return course
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
