"""``manage.py load_demo``: fill every table with a small demo data set built from the factories.

The one module of the app that imports the testing kit (:mod:`edx_schema.testing.demo`).
"""

from django.core.management.base import CommandError

from edx_schema.management.base import EdxSchemaCommand
from edx_schema.testing.demo import load_demo


class Command(EdxSchemaCommand):
    help = (
        "Load a small demo data set (two courses, their learners, courseware state, grades, "
        "overrides, certificates and ORA submissions) built from the shipped factories. "
        "Safe to run again: existing demo rows are kept, missing ones are added."
    )

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=20, help="How many demo learners (default 20).")

    def handle(self, *args, **options):
        if options["learners"] < 1:
            raise CommandError(f"--learners must be at least 1, not {options['learners']}.")
        summary = load_demo(learners=options["learners"])
        if options["verbosity"] >= 1:
            width = max(map(len, summary.rows))
            for table, count in sorted(summary.rows.items()):
                self.stdout.write(f"  {table:<{width}}  {count:>6}")
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {sum(summary.rows.values())} rows."))
