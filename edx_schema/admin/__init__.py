"""Django admin for edx-schema: every LMS table, learner and course pages, override editing.

Built for real-size data (see :mod:`edx_schema.admin.base`): no page counts or scans a whole
table. Imported tables are read-only unless ``EDX_SCHEMA_ADMIN_EDITABLE = True``; staff
overrides of subsection grades are always editable, with a reason, and keep their history.
"""

from . import (  # noqa: F401 (registers)
    certificates,
    community,
    courses,
    courseware,
    events,
    forum,
    grades,
    imports,
    ora,
    roles,
    student,
    submissions,
)
