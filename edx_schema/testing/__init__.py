"""Test support shipped with edx-schema, for downstream test suites.

- :mod:`edx_schema.testing.factories`: a factory-boy factory for every model;
- :mod:`edx_schema.testing.builders`: whole scenarios (a graded course, learners, a cohort);
- :mod:`edx_schema.testing.pytest_plugin`: pytest fixtures, installed as the ``edx_schema`` plugin.

Nothing here is imported by the app itself.
"""
