"""Domain exceptions raised by edx-schema's services.

Management commands turn these into ``CommandError`` in one place each, so a user never sees a
traceback for a mistake in their input.
"""


class EdxSchemaError(Exception):
    """Base class for every error edx-schema raises on purpose."""


class ConfigurationError(EdxSchemaError):
    """The project is configured in a way edx-schema cannot work with."""


class InvalidKeyError(EdxSchemaError):
    """A course or usage key does not parse in either the old or the new format."""
