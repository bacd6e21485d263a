"""The import pipeline: data packages into the LMS tables.

Read it top down:

- ``packages.py``: the orchestration: which members a package has, which to load, in which
  order (foreign keys first), in one process or ``--jobs`` workers;
- ``member.py``: one member, in its own transaction with its record in the import log;
- ``documents.py``: members that are documents (course outline, grading policy, forum);
- ``table_members.py``: members that are TSV tables, read as a stream;
- ``tables.py``: each loaded table's spec (columns, converters, key), derived from the models;
- ``rows.py``: the backend-neutral row plan and conversion, and rejected rows;
- ``unique.py``: rows that would take another row's value of a unique index;
- ``backends/``: the one place that depends on the database: MySQL/MariaDB ``LOAD DATA``
  from a pipe, SQLite with a helper process;
- ``rejects.py``: the ``--rejects`` file;
- ``results.py``: options, each member's result and the summary.
"""

from .packages import import_packages
from .results import ImportOptions, ImportSummary, MemberResult, Progress
from .schedule import DEFAULT_JOBS_LIMIT, default_jobs

__all__ = [
    "DEFAULT_JOBS_LIMIT",
    "ImportOptions",
    "ImportSummary",
    "MemberResult",
    "Progress",
    "default_jobs",
    "import_packages",
]
