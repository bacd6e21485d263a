"""The sample package, imported and graded, for the admin tests."""

from pathlib import Path

import pytest
from django.core.management import call_command

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "universityx-2024-11-17.zip"
COURSE = "course-v1:UniversityX+CS-101x+3T2024"


@pytest.fixture
def sample(db):
    call_command("import_package", str(FIXTURE), verbosity=0)
    call_command("recompute_grades", "--all", verbosity=0)
