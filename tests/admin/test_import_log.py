"""The admin shows the import log, read-only."""

import pytest
from django.core.management import call_command

from edx_schema.models import ImportRecord

pytestmark = pytest.mark.django_db


def test_the_import_log_is_listed_searchable_and_read_only(admin_client, tmp_path):
    call_command("make_package", str(tmp_path), "--learners", "3", "--problems", "4", verbosity=0)
    call_command("import_package", str(tmp_path / "universityx-2024-11-17"), verbosity=0)
    listing = admin_client.get("/admin/edx_schema/importrecord/", {"q": "auth_userprofile"})
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "UniversityX-CS-101x-3T2024-auth_userprofile-prod-analytics.sql" in text
    assert "courseware_studentmodule-prod" not in text  # filtered out by the search
    record = ImportRecord.objects.filter(table="auth_user").first()
    page = admin_client.get(f"/admin/edx_schema/importrecord/{record.pk}/change/")
    assert page.status_code == 200
    assert record.checksum in page.content.decode()
    assert admin_client.get("/admin/edx_schema/importrecord/add/").status_code == 403
