"""Test support shipped with edx-schema, for downstream test suites.

- :mod:`edx_schema.testing.factories`: a factory-boy factory for every model;
- :mod:`edx_schema.testing.builders`: whole scenarios (a graded course, learners, a cohort);
- :mod:`edx_schema.testing.pytest_plugin`: pytest fixtures, installed as the ``edx_schema`` plugin;
- :mod:`edx_schema.testing.demo`: the demo data set of ``manage.py load_demo``.

The app itself imports none of it, except the ``load_demo`` command (tests/test_layers.py).
"""
