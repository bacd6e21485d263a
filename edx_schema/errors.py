"""Domain exceptions raised by edx-schema's services.

Management commands turn these into ``CommandError`` in one place each, so a user never sees a
traceback for a mistake in their input.
"""

from opaque_keys import InvalidKeyError as OpaqueKeyError


class EdxSchemaError(Exception):
    """Base class for every error edx-schema raises on purpose."""


class ConfigurationError(EdxSchemaError):
    """The project is configured in a way edx-schema cannot work with."""


class InvalidKeyError(EdxSchemaError, OpaqueKeyError, ValueError):
    """A course or usage key does not parse in either the old or the new format.

    One class for every layer that reads a key: the services and the commands' arguments
    (:mod:`edx_schema.keys`), the package decoders (a row's or a document's key, as
    :class:`InvalidKeyFormatError`) and the admin's forms. It is also opaque-keys'
    ``InvalidKeyError``, so code written against edx-platform catches it, and a ``ValueError``,
    the package converters' signal for a value that does not fit its column.

    ``key_type`` says what was expected (``course key``, ``usage key``), ``key`` is the text.
    """

    def __init__(self, message: str, *, key_type: str = "key", key: object = None) -> None:
        # opaque-keys' __init__ takes (key_class, serialized); the message here says more.
        Exception.__init__(self, message)
        self.key_type = key_type
        self.key = key


class PackageError(EdxSchemaError):
    """A data package or one of its members cannot be read."""


class FormatError(PackageError):
    """A member's text breaks the package format; says where, and which value.

    ``line`` is the 1-based physical line where the offending record starts, ``column`` the
    header name of the offending field (None for whole-record problems), ``path`` where in a JSON
    document the offending value is (``$["block-v1:..."].metadata.weight``).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.value = value
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.path is not None:
            where += f", at {self.path}"
        text = f"{where}: {self.message}"
        if self.value is not None:
            shown = self.value if len(str(self.value)) <= 80 else f"{str(self.value)[:77]}..."
            text += f" (value: {shown!r})"
        return text


class InvalidKeyFormatError(FormatError, InvalidKeyError):
    """A key in a package member (a row's column, a document's block id) that does not parse.

    A FormatError (file, line, column or JSON path, and the value) that ``except InvalidKeyError``
    catches too.
    """

    def __init__(self, message: str, *, file: str, key_type: str = "key", **where: object) -> None:
        super().__init__(message, file=file, **where)
        self.key_type = key_type
        self.key = self.value


class GradingPolicyError(EdxSchemaError):
    """A grading policy cannot be used: a GRADER entry or a cutoff is malformed."""


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters: a value from the input is
    quoted with its control characters escaped, and never whole when it is long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: The longest exception message echoed to the user for an unforeseen error (it may quote input).
UNEXPECTED_MESSAGE_LIMIT = 300


def unexpected(error: BaseException) -> str:
    """One line describing an exception nobody anticipated (a bug): its type and a short message."""
    text = " ".join(str(error).split())
    if len(text) > UNEXPECTED_MESSAGE_LIMIT:
        text = text[: UNEXPECTED_MESSAGE_LIMIT - 3] + "..."
    return f"unexpected {type(error).__name__}" + (f": {text}" if text else "")
