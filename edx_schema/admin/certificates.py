"""Admin for ``certificates_generatedcertificate``."""

from __future__ import annotations

from django.contrib import admin

from ..admin_site import Area
from ..models import GeneratedCertificate
from .base import LargeTableAdmin
from .display import course_filter, learner_column


@admin.register(GeneratedCertificate)
class GeneratedCertificateAdmin(LargeTableAdmin):
    area = Area.CERTIFICATES
    list_display = ("id", learner_column(), "course_id", "status", "grade", "mode", "created_date")
    list_filter = (course_filter(),)
    raw_id_fields = ("user",)
    indexed_search = (("user_id", "id"), ("course_id", "exact"), ("verify_uuid", "exact"))
    search_help_text = "A user id, a course key, or a verify_uuid."
    extra_lookups = ("user__id__exact",)
