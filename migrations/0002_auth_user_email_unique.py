"""Add the unique index on auth_user.email that the LMS adds in its database_fixups app.

Django does not make email unique; the LMS does, with an index named ``email``. Like the LMS
migration, this one is idempotent: it leaves an existing unique index on ``email`` alone.
"""

from django.db import migrations

INDEX_NAME = "email"


def _has_unique_email_index(schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "auth_user")
    return any(
        details["unique"] and details["columns"] == ["email"] and not details["primary_key"]
        for details in constraints.values()
    )


def add_unique_email_index(apps, schema_editor):
    if _has_unique_email_index(schema_editor):
        return
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE UNIQUE INDEX {quote(INDEX_NAME)} ON {quote('auth_user')} ({quote('email')})")


def drop_unique_email_index(apps, schema_editor):
    quote = schema_editor.quote_name
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {quote(INDEX_NAME)} ON {quote('auth_user')}")
    else:
        schema_editor.execute(f"DROP INDEX {quote(INDEX_NAME)}")


class Migration(migrations.Migration):
    # MySQL cannot roll DDL back, and Django refuses DDL inside an atomic RunPython there.
    atomic = False

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("edx_schema", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_unique_email_index, drop_unique_email_index)]
