"""The sample package, imported and graded, and staff members with some permissions, for the admin tests."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "universityx-2024-11-17.zip"
COURSE = "course-v1:UniversityX+CS-101x+3T2024"


@pytest.fixture
def sample(db):
    call_command("import_package", str(FIXTURE), verbosity=0)
    call_command("recompute_grades", "--all", verbosity=0)


def staff_client(client, *permissions):
    """``client`` logged in as a staff member (not a superuser) holding only ``permissions``."""
    user = User.objects.create_user("clerk", "clerk@example.org", "pw", is_staff=True)
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client.force_login(user)
    return client
