"""``manage.py set_grading_policy COURSE FILE.json``: give a course its grading policy."""

from __future__ import annotations

from django.core.management.base import CommandError

from edx_schema.management.arguments import course_key
from edx_schema.management.base import EdxSchemaCommand
from edx_schema.models import GradingPolicy
from edx_schema.package.course import MAX_POLICY_BYTES, policy_text
from edx_schema.services.outline import save_grading_policy


class Command(EdxSchemaCommand):
    help = (
        "Store a course's grading policy from a grading_policy.json (GRADER and GRADE_CUTOFFS), for "
        "courses whose data package has no OLX export. Keys it lacks get the LMS defaults."
    )

    def add_arguments(self, parser):
        parser.add_argument("course", metavar="COURSE", help="The course key.")
        parser.add_argument("file", metavar="FILE.json", help="The grading policy JSON file.")

    def handle(self, *args, **options):
        course = str(course_key(options["course"], option="COURSE"))
        try:
            with open(options["file"], "rb") as file:
                data = file.read(MAX_POLICY_BYTES + 1)  # bounded: policy_text refuses anything larger
        except OSError as error:
            raise CommandError(f"{options['file']}: {error.strerror}.") from None
        text = policy_text(data, file=options["file"])
        saved = save_grading_policy(course_id=course, text=text, source=options["file"])
        row = GradingPolicy.objects.get(course_id=course)
        if options["verbosity"] >= 1:
            what = "stored" if saved.inserted else "updated" if saved.updated else "unchanged"
            self.stdout.write(
                self.style.SUCCESS(f"Grading policy for {course} {what} (hash {row.grading_policy_hash}).")
            )
