"""On a SQLite database file, a forked helper grades the upper half of a big course.

The helper needs a database file that two processes can open, so this runs in a child process
against a temporary SQLite file (the test database is in memory), whatever the suite's backend.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "universityx-2024-11-17.zip"

SCRIPT = """
import json, sys
import django
django.setup()
from django.core.management import call_command
from edx_schema.models import PersistentCourseGrade
from edx_schema.services import recompute

call_command("migrate", verbosity=0)
call_command("import_package", sys.argv[1], verbosity=0)
def grades():
    rows = PersistentCourseGrade.objects.values_list("course_id", "user_id", "percent_grade", "letter_grade")
    return sorted([str(course), *rest] for course, *rest in rows)
shipped = grades()
recompute.HELPER_MIN_ROWS = 2  # every course of the sample is "big"
helped = []
real = recompute._graded_with_helper
def spy(*args, **kwargs):
    helped.append(kwargs["split"])
    return real(*args, **kwargs)
recompute._graded_with_helper = spy
results = [recompute.recompute_course(course_id=c, dry_run=True) for c in recompute.course_ids_with_policy()]
PersistentCourseGrade.objects.all().delete()
for course in recompute.course_ids_with_policy():
    recompute.recompute_course(course_id=course)
rewritten = grades()
stored = PersistentCourseGrade.objects
passed = sorted(stored.exclude(passed_timestamp=None).values_list("user_id", flat=True))
letters = sorted(stored.exclude(letter_grade="").values_list("user_id", flat=True))
print(json.dumps({
    "helped": helped,
    "dry_run": [(r.learners, r.new, r.changed, r.unchanged) for r in results],
    "shipped": shipped,
    "rewritten": rewritten,
    "passed": passed == letters and bool(passed),
}))
"""


def test_the_helper_grades_the_upper_half_exactly_as_this_process_would(tmp_path):
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="settings.local",
        PYTHONPATH=str(ROOT),
    )
    output = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(FIXTURE)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    found = json.loads(output.strip().splitlines()[-1])
    assert len(found["helped"]) == 4  # both courses, dry run and real run
    assert sorted(found["dry_run"]) == [[10, 0, 0, 10], [20, 0, 0, 20]]
    # Recomputed from scratch with the helper, every grade is the one the package shipped.
    assert found["rewritten"] == found["shipped"]
    assert found["passed"]  # passed_timestamp set for exactly the learners with a letter
