"""Parsers that turn one decoded package field into the value its column stores.

Each ``*_parser`` function returns a converter ``(text | None) -> value`` that raises ValueError
with a message for the user when the text does not fit the column (an InvalidKeyError, which
is a ValueError, for a key that does not parse). Values come out ready for
the database: ints, floats, ``0``/``1`` for booleans, canonical ``YYYY-MM-DD HH:MM:SS[.ffffff]``
strings for datetimes (naive UTC, as the LMS stores them), and text unchanged.

Each converter also carries ``verbatim``: a regular expression of the raw field texts (as the
file writes them, escapes included, ``NULL`` for None) that it accepts and that MySQL's
``LOAD DATA`` reads, once ``NULL`` is written ``\\N``, into exactly the value the converted row
would be stored as; or None. It is a deliberately narrow subset (plain digits, canonical
datetimes, keys of the common characters): a text outside it is simply converted the usual way.
The MySQL loader hands runs of records that match on as they are (``importing/verbatim.py``).

Pure: no Django import. Opaque keys are checked with edx-opaque-keys, which is not Django.
"""

from __future__ import annotations

import datetime
import math
import re
import uuid
from collections.abc import Callable
from typing import Any

from ..errors import InvalidKeyError

Converter = Callable[[str | None], Any]

_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?")
_ZERO_DATETIME = re.compile(r"0000-00-00 00:00:00(?:\.0{1,6})?")
_CACHE_LIMIT = 100_000
# More digits than any integer column holds (20), far fewer than int() accepts (4,300).
_MAX_DIGITS = 100

# Verbatim patterns (see the module's docstring). A field never holds a raw TAB, LF, CR or NUL
# there, and ``\N`` (LOAD DATA's NULL, the reader's "N") is the one escape that reads otherwise.
_PLAIN_CHAR = r"[^\t\n\r\\\x00]"
#: Any text the reader and LOAD DATA read alike (a column the table does not take reads it too).
VERBATIM_ANY_TEXT = rf"{_PLAIN_CHAR}*(?:\\[^N\t\n\r\x00]{_PLAIN_CHAR}*)*"
# A TAB or the LF that ends the record: what follows every field of a line.
_FIELD_END = r"[\t\n]"
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_VERBATIM_DATETIME = (
    # Not year 0, nor a day its month lacks: the 30th or 31st of February, the 29th but in a
    # leap year, the 31st of a month of 30 days.
    rf"(?!0000|[0-9]{{4}}-(?:02-3[01]|(?:0[469]|11)-31)|(?!{_LEAP_YEAR})[0-9]{{4}}-02-29)"
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]) "
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{6})?"
)
# Key parts of the commonest characters, each of which every opaque-keys format accepts.
_KEY_PART = r"[A-Za-z0-9_.-]+"
_VERBATIM_COURSE_KEY = (
    rf"(?:course-v1:{_KEY_PART}\+{_KEY_PART}\+{_KEY_PART}|{_KEY_PART}/{_KEY_PART}/{_KEY_PART})"
)
_VERBATIM_USAGE_KEY = (
    rf"(?:block-v1:{_KEY_PART}\+{_KEY_PART}\+{_KEY_PART}\+type@{_KEY_PART}\+block@{_KEY_PART}"
    rf"|i4x://{_KEY_PART}/{_KEY_PART}/{_KEY_PART}/{_KEY_PART})"
)


def _verbatim(convert: Converter, pattern: str | None, *, nullable: bool) -> Converter:
    """``convert`` with its verbatim pattern (``NULL`` added where the column takes NULL)."""
    if pattern is not None and nullable:
        pattern = f"(?:NULL(?={_FIELD_END})|{pattern})"
    convert.verbatim = pattern  # type: ignore[attr-defined]
    return convert


def _bounded(pattern: str, max_length: int | None) -> str:
    """``pattern``, for a field of at most ``max_length`` characters."""
    if max_length is None:
        return pattern
    return f"(?={_PLAIN_CHAR}{{0,{max_length}}}{_FIELD_END}){pattern}"


def _digits(low: int | None, high: int | None) -> str | None:
    """Decimal integers every one of which lies in ``[low, high]``: a number of digits."""
    if low is None or high is None or high < 9 or -9 < low < 0:
        return None
    digits = len(str(min(high, -low) if low < 0 else high)) - 1
    return f"{'-?' if low < 0 else ''}[0-9]{{1,{digits}}}"


def _null(nullable: bool) -> None:
    if not nullable:
        raise ValueError("NULL in a column that cannot be NULL")


def integer_parser(
    *, low: int | None, high: int | None, nullable: bool, blank_is_null: bool = False
) -> Converter:
    """Decimal integers within ``[low, high]`` (the column's range on this database).

    ``blank_is_null``: ``''`` stands for NULL too, as obfuscated files write it in some columns.
    """

    def convert(text: str | None) -> int | None:
        if text is None or (blank_is_null and text == ""):
            return _null(nullable)
        digits = text[1:] if text[:1] == "-" else text
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError("not an integer")
        if len(digits) > _MAX_DIGITS:  # int() itself refuses these, with advice for programmers
            raise ValueError(f"{len(digits)} digits, too many for an integer")
        value = int(text)
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"out of range for this column ({low} to {high})")
        return value

    # ``''`` for NULL has no verbatim form: LOAD DATA would read it as 0.
    return _verbatim(convert, None if blank_is_null else _digits(low, high), nullable=nullable)


def float_parser(*, nullable: bool) -> Converter:
    """Floating-point numbers as Python and MySQL print them; NaN and infinity are refused."""

    def convert(text: str | None) -> float | None:
        if text is None:
            return _null(nullable)
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        # float() also takes underscores, surrounding spaces and non-ASCII digits; the exporter
        # prints none of them.
        if "_" in text or not text.isascii() or text.strip() != text:
            raise ValueError("not a number")
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return value

    # Both parse decimal text to the nearest double, and Python prints one that reads back as it.
    return _verbatim(convert, r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?", nullable=nullable)


def boolean_parser(*, nullable: bool) -> Converter:
    """``0`` or ``1``, as the exporter writes tinyint(1) columns."""

    def convert(text: str | None) -> int | None:
        if text == "1":
            return 1
        if text == "0":
            return 0
        if text is None:
            return _null(nullable)
        raise ValueError("not a boolean (expected 0 or 1)")

    return _verbatim(convert, "[01]", nullable=nullable)


def datetime_parser(*, nullable: bool) -> Converter:
    """``YYYY-MM-DD HH:MM:SS`` with 0 to 6 fractional digits, naive UTC.

    The legacy mysql client's ``0000-00-00 00:00:00`` is read as NULL where the column allows it.
    """

    parse = datetime.datetime.fromisoformat

    def convert(text: str | None) -> str | None:
        if text is not None:
            # The exporter's two shapes, checked cheaply: YYYY-MM-DD HH:MM:SS[.ffffff].
            n = len(text)
            if (
                (n == 19 or (n == 26 and text[19] == "."))
                and text[4] == text[7] == "-"
                and text[10] == " "
                and text[13] == ":"
                and text[16] == ":"
                and text[:4] != "0000"
            ):
                try:
                    parse(text)
                except ValueError as error:
                    raise ValueError(f"not a valid datetime ({error})") from None
                return text[:19] if text.endswith(".000000") else text
        if text is None or (text[:4] == "0000" and _ZERO_DATETIME.fullmatch(text)):
            if text is not None and not nullable:
                raise ValueError("the zero date 0000-00-00 in a column that cannot be NULL")
            return _null(nullable)
        if not _DATETIME.fullmatch(text):
            raise ValueError("not a datetime (expected YYYY-MM-DD HH:MM:SS[.ffffff])")
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError as error:
            raise ValueError(f"not a valid datetime ({error})") from None
        # The canonical form is str(datetime): no fraction when it is zero, else six digits.
        if text[10] == " " and (len(text) == 19 or (len(text) == 26 and not text.endswith(".000000"))):
            return text
        return str(value)

    return _verbatim(convert, _VERBATIM_DATETIME, nullable=nullable)


def text_parser(*, max_length: int | None, nullable: bool) -> Converter:
    """Text, at most ``max_length`` characters.

    ``NULL`` in a column that cannot hold NULL is the string ``"NULL"``: the format cannot tell
    the two apart, and the column says which it was.
    """

    def convert(text: str | None) -> str | None:
        if text is None:
            return None if nullable else "NULL"
        if max_length is not None and len(text) > max_length:
            raise ValueError(f"{len(text)} characters, longer than the column's {max_length}")
        return text

    # Width is counted in characters: a bounded column takes plain characters only, so that each
    # is one; any text takes escapes. In a column without NULL, ``NULL`` is the string "NULL".
    pattern = f"{_PLAIN_CHAR}{{0,{max_length}}}" if max_length is not None else VERBATIM_ANY_TEXT
    if nullable:
        return _verbatim(convert, pattern, nullable=True)
    return _verbatim(convert, f"(?!NULL{_FIELD_END}){pattern}", nullable=False)


def _key_parser(
    parse: Callable[[str], Any], *, what: str, max_length: int | None, nullable: bool, verbatim: str
) -> Converter:
    # A file repeats the same few keys millions of times: remember the ones already checked,
    # in a bounded set.
    checked: set[str] = set()

    def convert(text: str | None) -> str | None:
        if text is None:
            return _null(nullable)
        if text in checked:
            return text
        if max_length is not None and len(text) > max_length:
            raise ValueError(f"{len(text)} characters, longer than the column's {max_length}")
        try:
            parse(text)
        except Exception:  # opaque-keys raises InvalidKeyError, and sometimes ValueError/TypeError
            # A ValueError too, as every converter's refusal: the loader says where it was.
            message = f"not a valid {what} in either the old or the new format"
            raise InvalidKeyError(message, key_type=what, key=text) from None
        if len(checked) >= _CACHE_LIMIT:
            checked.clear()
        checked.add(text)
        return text

    return _verbatim(convert, _bounded(verbatim, max_length), nullable=nullable)


def course_key_parser(*, max_length: int | None, nullable: bool, blank: bool = False) -> Converter:
    """A course key, ``course-v1:Org+Course+Run`` or the legacy ``Org/Course/Run``.

    ``blank=True`` also accepts ``''`` (site-wide rows such as a generic anonymous user id).
    """
    from opaque_keys.edx.keys import CourseKey

    convert = _key_parser(
        CourseKey.from_string,
        what="course key",
        max_length=max_length,
        nullable=nullable,
        verbatim=_VERBATIM_COURSE_KEY,
    )
    if not blank:
        return convert

    def convert_or_blank(text: str | None) -> str | None:
        return "" if text == "" else convert(text)

    pattern = convert.verbatim  # type: ignore[attr-defined]
    return _verbatim(convert_or_blank, f"(?:{pattern})?", nullable=False)


def usage_key_parser(*, max_length: int | None, nullable: bool) -> Converter:
    """A usage key, ``block-v1:...+type@T+block@B`` or the legacy ``i4x://Org/Course/T/B``."""
    from opaque_keys.edx.keys import UsageKey

    return _key_parser(
        UsageKey.from_string,
        what="usage key",
        max_length=max_length,
        nullable=nullable,
        verbatim=_VERBATIM_USAGE_KEY,
    )


def uuid_parser(
    *, nullable: bool, prepare: Callable[[uuid.UUID], Any] = str, below_version: int | None = None
) -> Converter:
    """A UUID, with or without dashes; ``prepare`` gives the database's representation.

    ``below_version``: the first version digit the column cannot store (MariaDB's native uuid
    type takes versions 0 to 7 and stores any other as zeros, with only a warning).
    """

    def convert(text: str | None) -> Any:
        if text is None:
            return _null(nullable)
        try:
            value = uuid.UUID(text)
        except ValueError:
            raise ValueError("not a UUID") from None
        if below_version is not None and int(value.hex[12], 16) >= below_version:
            raise ValueError(
                f"a UUID of version {value.hex[12]}, which this database's uuid type cannot store"
            )
        return prepare(value)

    return _verbatim(convert, _verbatim_uuid(prepare, below_version), nullable=nullable)


def _verbatim_uuid(prepare: Callable[[uuid.UUID], Any], below_version: int | None) -> str | None:
    """The spellings of a UUID that the database's representation keeps as they are, if any.

    Asked of ``prepare`` itself (lower-case hex, with dashes or without), so the pattern follows
    whatever the database stores.
    """
    versions = f"[0-{below_version - 1}]" if below_version is not None else "[0-9a-f]"
    sample = uuid.UUID("0123abcd-4567-4def-8901-23456789abcd")
    forms = []
    if str(prepare(sample)) == sample.hex:
        forms.append(f"[0-9a-f]{{12}}{versions}[0-9a-f]{{19}}")
    if str(prepare(sample)) == str(sample):
        forms.append(f"[0-9a-f]{{8}}-[0-9a-f]{{4}}-{versions}[0-9a-f]{{3}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}")
    return "|".join(forms) or None
