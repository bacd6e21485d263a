"""``manage.py override_subsection_grade``: a scripted staff override, with its audit trail."""

from __future__ import annotations

import argparse

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from edx_schema.constants import OVERRIDE_SYSTEM_CHOICES
from edx_schema.errors import EdxSchemaError
from edx_schema.management.arguments import course_key, usage_key
from edx_schema.management.base import EdxSchemaCommand
from edx_schema.services.overrides import TOTALS, check_points, correct_subsection_grade

#: What ``--earned-graded none`` parses to, so that it differs from an option not given.
NULL = "NULL"


def points(text: str) -> float | str:
    """A total for the command line: a number of points, or :data:`NULL` for ``none``."""
    if text.strip().lower() in {"none", "null"}:
        return NULL
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of points (or 'none')") from None
    try:
        check_points("points", value)
    except EdxSchemaError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of points, 0 or more") from None
    return value


class Command(EdxSchemaCommand):
    help = (
        "Override one learner's subsection grade as a staff member, with a reason, recorded in "
        "grades_historicalpersistentsubsectiongradeoverride. Totals not given are filled from the "
        "grade, as the LMS fills them; 'none' leaves one NULL so the grade's own value applies. "
        "The subsection grade is created if the learner has none, and the course grade recomputed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, metavar="ID|USERNAME", help="The learner.")
        parser.add_argument("--course", required=True, metavar="KEY", help="The course key.")
        parser.add_argument("--usage-key", required=True, metavar="KEY", help="The subsection's usage key.")
        for name in TOTALS:
            parser.add_argument(
                f"--{name.replace('_', '-')}", type=points, metavar="POINTS", help=f"The {name} override."
            )
        parser.add_argument("--delete", action="store_true", help="Remove the override instead.")
        parser.add_argument("--reason", required=True, help="Why (kept in the history; required).")
        parser.add_argument(
            "--by", required=True, metavar="USERNAME", help="The staff member making the change."
        )
        parser.add_argument(
            "--system", default="GRADEBOOK", choices=[code for code, _label in OVERRIDE_SYSTEM_CHOICES]
        )
        parser.add_argument(
            "--no-recompute", action="store_true", help="Do not recompute the learner's course grade."
        )

    def handle(self, *args, **options):
        course = str(course_key(options["course"]))
        usage = str(usage_key(options["usage_key"]))
        learner = self._user("--user", options["user"])
        staff = self._user("--by", options["by"])
        totals = {
            name: None if options[name] == NULL else options[name]
            for name in TOTALS
            if options[name] is not None
        }
        try:
            done = correct_subsection_grade(
                user_id=learner.id,
                course_id=course,
                usage_key=usage,
                acting_user=staff,
                reason=options["reason"],
                system=options["system"],
                totals=totals,
                delete=options["delete"],
                recompute=not options["no_recompute"],
            )
        except EdxSchemaError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] < 1:
            return
        grade = done.grade
        if done.created_grade:
            self.stdout.write(
                f"Created the subsection grade of {learner.username} in {usage} "
                f"({grade.earned_graded:g}/{grade.possible_graded:g}), as the LMS does before an override."
            )
        if done.deleted:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Removed the override of {learner.username}'s {usage}: "
                    f"{grade.earned_graded:g}/{grade.possible_graded:g} applies again."
                )
            )
        else:
            values = {name: getattr(done.override, f"{name}_override") for name in TOTALS}
            shown = ", ".join(
                f"{name} {'NULL' if value is None else f'{value:g}'}" for name, value in values.items()
            )
            self.stdout.write(
                self.style.SUCCESS(f"Override of {learner.username}'s {usage} by {staff.username}: {shown}.")
            )
        if done.recomputed:
            before, after = done.course_grade_before, done.course_grade_after
            was = f"{before.percent_grade:.2f} {before.letter_grade or '-'}" if before else "none"
            self.stdout.write(
                f"Course grade in {course}: {was} -> {after.percent_grade:.2f} {after.letter_grade or '-'}"
            )
        else:
            self.stdout.write(
                f"Course grade not recomputed: run manage.py recompute_grades --course {course}."
            )

    def _user(self, option: str, value: str) -> User:
        lookup = {"id": int(value)} if value.isdigit() else {"username": value}
        user = User.objects.filter(**lookup).first()
        if user is None:
            raise CommandError(f"{option} {value!r}: no such user in auth_user.")
        return user
