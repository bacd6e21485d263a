"""Model fields that reproduce LMS column types Django has no built-in field for."""

from __future__ import annotations

from typing import Any

from django.db import models


class UnsignedBigIntAutoField(models.BigAutoField):
    """An auto-increment primary key that is ``bigint UNSIGNED`` on MySQL and MariaDB.

    The LMS gives ``courseware_studentmodule`` and the persistent grade tables this type (its
    ``lms.djangoapps.courseware.fields.UnsignedBigIntAutoField``), and every foreign key to them,
    such as ``grades_persistentsubsectiongradeoverride.grade_id``, is ``bigint UNSIGNED`` too.
    Other backends get Django's ordinary big auto field.
    """

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "mysql":
            # Django's MySQL backend spells AUTO_INCREMENT inside the type, not as a suffix.
            return "bigint UNSIGNED AUTO_INCREMENT"
        return super().db_type(connection)

    def rel_db_type(self, connection: Any) -> str | None:
        if connection.vendor == "mysql":
            return "bigint UNSIGNED"
        return super().rel_db_type(connection)
