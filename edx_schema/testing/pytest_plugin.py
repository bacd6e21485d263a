"""pytest fixtures for projects that use edx-schema's tables in their tests.

Installed with edx-schema as the ``edx_schema`` pytest plugin (a ``pytest11`` entry point): its
fixtures are there in every project whose environment has edx-schema, and do nothing until a
test asks for one (pytest-django's ``db`` comes with them). To turn it off: ``-p no:edx_schema``;
without the entry point (a checkout), opt in with ``pytest_plugins = ["edx_schema.testing.pytest_plugin"]``
in a ``conftest.py``.

Nothing here imports Django models at import time: pytest loads plugins before Django is set up.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def edx_user(db):
    """An ``auth_user`` with a profile, password ``test`` (``UserFactory``)."""
    from .factories import UserFactory

    return UserFactory()


@pytest.fixture
def graded_course(db):
    """A course with a grading policy and four graded subsections (``build_course``)."""
    from .builders import build_course

    return build_course()


@pytest.fixture
def enrolled_learner(graded_course):
    """A learner enrolled in ``graded_course`` with subsection grades and a course grade."""
    from .builders import build_learner

    return build_learner(graded_course, scores=[1.0, 0.5, None, 0.75])


@pytest.fixture
def course_with_overrides(graded_course):
    """``graded_course`` with two learners, the second with a staff override (and its history).

    Returns ``(course, [learner, overridden_learner])``.
    """
    from .builders import build_learner

    plain = build_learner(graded_course, scores=[1.0, 0.5, 0.5, 0.5])
    overridden = build_learner(graded_course, scores=[0.0, 0.5, 0.5, 0.25], overrides={0: 1.0})
    return graded_course, [plain, overridden]


@pytest.fixture
def load_data_package(db):
    """``load_data_package(path, **options)``: import a data package (zip or folder) into the test DB.

    Runs the import service as ``manage.py import_package`` does; the options are those of
    :class:`edx_schema.importing.ImportOptions`. Returns the import summary, and fails
    the test if any file failed or any row was rejected.
    """
    from ..importing import ImportOptions, import_packages

    def load(path: str | Path, **options):
        summary = import_packages(paths=[Path(path)], options=ImportOptions(**options))
        if not summary.ok:
            problems = [f"{r.member}: {r.message}" for r in summary.results if r.message]
            pytest.fail("the data package did not load:\n" + "\n".join(problems))
        return summary

    return load
