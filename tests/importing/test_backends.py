"""The database backend is chosen in one place, by Django's vendor name."""

from types import SimpleNamespace

import pytest
from django.db import connection

from edx_schema.errors import ConfigurationError
from edx_schema.importing.backends import backend


def test_the_backend_of_the_connection_is_the_one_named_after_its_vendor():
    chosen = backend(connection)
    assert chosen.vendor == connection.vendor
    assert chosen.connection is connection
    assert chosen.single_writer == (connection.vendor == "sqlite")


def test_a_database_without_a_backend_module_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="cannot write to a oracle database"):
        backend(SimpleNamespace(vendor="oracle"))
