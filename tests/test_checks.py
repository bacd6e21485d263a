"""System checks: the user model, and MySQL connections that cannot bulk-load or store UTF-8."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from edx_schema.checks import check_mysql_settings, check_user_model, mysql_settings_messages


def test_custom_user_model_is_an_error():
    with override_settings(AUTH_USER_MODEL="accounts.Learner"):
        assert [m.id for m in check_user_model()] == ["edx_schema.E001"]
    assert check_user_model() == []


def test_mysql_without_local_infile_or_utf8mb4_is_warned_about():
    messages = mysql_settings_messages(
        alias="default", database={"OPTIONS": {"charset": "utf8"}}, server_local_infile=False
    )
    assert [m.id for m in messages] == ["edx_schema.W001", "edx_schema.W002", "edx_schema.W003"]
    assert "local_infile" in messages[0].msg


def test_a_well_configured_mysql_connection_passes():
    database = {"OPTIONS": {"charset": "utf8mb4", "local_infile": 1}}
    assert mysql_settings_messages(alias="default", database=database, server_local_infile=True) == []


@pytest.mark.django_db
def test_project_database_passes_the_checks():
    # On MariaDB this asks the server for local_infile; the project settings enable it.
    assert check_mysql_settings(databases=["default"]) == []
    call_command("check", "--database", "default", "--fail-level", "WARNING")
