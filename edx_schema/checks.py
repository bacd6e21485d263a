"""System checks for configurations edx-schema cannot serve well.

Registered in :meth:`edx_schema.apps.EdxSchemaConfig.ready`. The database checks run with
``manage.py check --database default`` and before ``migrate``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.db import connections


def check_user_model(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``auth_user`` must be Django's own User, as in the LMS and in the code that reads it."""
    if settings.AUTH_USER_MODEL != "auth.User":
        return [
            Error(
                f"AUTH_USER_MODEL is {settings.AUTH_USER_MODEL!r}; edx-schema mirrors the LMS "
                "auth_user table, which is Django's own User.",
                hint="Remove the AUTH_USER_MODEL setting or set it to 'auth.User'.",
                id="edx_schema.E001",
            )
        ]
    return []


def mysql_settings_messages(
    *, alias: str, database: Mapping[str, Any], server_local_infile: bool | None
) -> list[CheckMessage]:
    """The messages for one MySQL database alias; pure, so it is tested without a server."""
    messages: list[CheckMessage] = []
    options = database.get("OPTIONS") or {}
    if not options.get("local_infile"):
        messages.append(
            Warning(
                f"Database {alias!r} is MySQL without OPTIONS['local_infile']; import_package "
                "cannot use LOAD DATA LOCAL INFILE and falls back to slower batched inserts.",
                hint="Add ?local_infile=1 to DATABASE_URL, or set OPTIONS={'local_infile': 1}.",
                id="edx_schema.W001",
            )
        )
    if server_local_infile is False:
        messages.append(
            Warning(
                f"The server behind database {alias!r} has local_infile=OFF; import_package "
                "falls back to slower batched inserts.",
                hint="Run SET GLOBAL local_infile = 1 or start the server with --local-infile=1.",
                id="edx_schema.W002",
            )
        )
    charset = str(options.get("charset", "")).lower()
    if charset != "utf8mb4":
        messages.append(
            Warning(
                f"Database {alias!r} connects with charset {charset or 'default'!r}; edX data "
                "holds 4-byte UTF-8 (emoji in names and answers) that only utf8mb4 stores.",
                hint="Set OPTIONS['charset'] = 'utf8mb4' (?charset=utf8mb4 in DATABASE_URL).",
                id="edx_schema.W003",
            )
        )
    return messages


def check_mysql_settings(
    app_configs: Any = None, databases: Iterable[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn about MySQL connections that cannot bulk-load or cannot store all of UTF-8."""
    messages: list[CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "mysql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@GLOBAL.local_infile")
            server_local_infile = bool(cursor.fetchone()[0])
        messages += mysql_settings_messages(
            alias=alias, database=connection.settings_dict, server_local_infile=server_local_infile
        )
    return messages
