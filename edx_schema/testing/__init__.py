"""Test support shipped with edx-schema: factories (:mod:`edx_schema.testing.factories`).

Nothing here is imported by the app itself; downstream test suites import it.
"""
