"""The temporary table a join or snapshot member is staged in compares as the tables it meets."""

from __future__ import annotations

import pytest
from django.db import connection

from edx_schema.importing.stage import column_type, staged
from edx_schema.models import CourseAccessRole, ForumRole

pytestmark = pytest.mark.django_db(transaction=True)  # MySQL: ALTER DATABASE commits


def test_a_course_key_column_is_staged_with_the_collation_its_field_chooses():
    f = CourseAccessRole._meta.get_field("course_id")
    collation = f.db_parameters(connection)["collation"]  # NOCASE, utf8mb4_unicode_ci
    assert collation
    assert column_type(f).endswith((collation, connection.ops.quote_name(collation)))


@pytest.mark.mariadb
def test_staged_columns_match_the_tables_whatever_the_databases_default_collation():
    """A database made with the server's default (utf8mb4_general_ci) holds opaque-keys' course
    columns in utf8mb4_unicode_ci: the stage must take each column's own, or MySQL refuses ``=``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@collation_database, DATABASE()")
        default, name = cursor.fetchone()
        cursor.execute(f"ALTER DATABASE {connection.ops.quote_name(name)} COLLATE utf8mb4_general_ci")
        try:
            fields = {
                "course_id": ForumRole._meta.get_field("course_id"),
                "name": ForumRole._meta.get_field("name"),
            }
            with staged("collations", fields, key=("course_id", "name")) as (stage, staging):
                staging.execute(
                    f"SELECT COUNT(*) FROM {stage.name} s JOIN django_comment_client_role r "
                    "ON r.course_id = s.course_id AND r.name = s.name"
                )
                assert staging.fetchone() == (0,)
        finally:
            cursor.execute(f"ALTER DATABASE {connection.ops.quote_name(name)} COLLATE {default}")
