"""The database the commands run against: migrated, reachable, not locked for too long.

Each problem becomes one sentence that says what to do, instead of a driver's traceback.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

from ..errors import ConfigurationError

# A database once seen migrated stays so for the life of the process (one check per alias).
_migrated: set[str] = set()

# MySQL/MariaDB error codes, and what the user should hear for each.
_MYSQL_CONNECT = {1044, 1045, 1049, 2002, 2003, 2005, 2006, 2013}
_MYSQL_LOCK_WAIT = 1205
_MYSQL_NO_TABLE = 1146


def ensure_migrated(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Raise ConfigurationError unless every migration is applied to the database ``using``.

    An unmigrated database otherwise fails later, deep inside a query, with "no such table".
    """
    if using in _migrated:
        return
    connection = connections[using]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        problem = database_problem(error, using=using)
        raise ConfigurationError(problem or f"cannot read the database's migrations: {error}") from None
    if plan:
        migration = plan[0][0]
        raise ConfigurationError(
            f"the database {_name(using)} is not migrated ({len(plan)} migration(s) to apply, the first "
            f"{migration.app_label}.{migration.name}): run manage.py migrate"
        )
    _migrated.add(using)


def database_problem(error: DatabaseError, *, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """A sentence for a database error the user can act on, or None if it is not one of those."""
    connection = connections[using]
    code = error.args[0] if error.args and isinstance(error.args[0], int) else None
    text = str(error.args[-1] if code is not None and len(error.args) > 1 else error)
    if connection.vendor == "sqlite" and "database is locked" in text:
        timeout = connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)
        return (
            f"the database {_name(using)} stayed locked by another process for {timeout:g} s (an import "
            "still loading a file?); run this again when it has finished"
        )
    if code == _MYSQL_LOCK_WAIT:
        return (
            f"the database {_name(using)}: another transaction held the rows this needs for longer than "
            "innodb_lock_wait_timeout (an import still loading a file?); run this again when it has finished"
        )
    if code in _MYSQL_CONNECT:
        return f"cannot use the database {_name(using)}: {text}"
    if code == _MYSQL_NO_TABLE or "no such table" in text:
        return f"the database {_name(using)} lacks a table ({text}): run manage.py migrate"
    return None


def _name(using: str) -> str:
    settings = connections[using].settings_dict
    host = settings.get("HOST")
    return f"{settings.get('NAME')}" + (f" on {host}" if host else "")
