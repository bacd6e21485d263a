"""The base of edx-schema's management commands: no traceback reaches a user, whatever happens.

Django prints a traceback for any exception a command raises other than ``CommandError``. Here
domain errors become their message, a database that is busy, unreachable or not migrated gets a
sentence that says what to do, and an unforeseen exception (a bug) becomes one line naming its
type; its traceback is printed only at ``-v 3`` (or with Django's ``--traceback``).
"""

from __future__ import annotations

import traceback
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from edx_schema.errors import EdxSchemaError, unexpected
from edx_schema.services.database import database_problem, ensure_migrated


class EdxSchemaCommand(BaseCommand):
    """A command whose every failure is a ``CommandError`` with a message (exit status 1)."""

    #: Refuse to run on a database that lacks edx-schema's tables, saying "run manage.py migrate".
    requires_schema = True

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            if self.requires_schema:
                ensure_migrated()
            return super().execute(*args, **options)
        except CommandError:
            raise
        except EdxSchemaError as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            problem = database_problem(error)
            if problem is None:
                self._unexpected(error, options)
            raise CommandError(problem) from None
        except Exception as error:  # the point: a bug must not print a traceback
            self._unexpected(error, options)

    def _unexpected(self, error: Exception, options: dict[str, Any]) -> None:
        if options.get("traceback"):
            raise error
        if options.get("verbosity", 1) >= 3:
            self.stderr.write("".join(traceback.format_exception(error)))
            hint = ""
        else:
            hint = " (run again with -v 3 to see where; please report it)"
        raise CommandError(f"{unexpected(error)}{hint}") from None
