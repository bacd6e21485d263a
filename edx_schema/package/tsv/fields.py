"""One record's fields: split and unescaped when read, escaped when written.

Reading undoes the exporter's one-pass backslash escapes (see :mod:`edx_schema.package.tsv`).
Writing has two dialects, made by one encoder:

- :func:`encode_field`, the exporter's text (what the reader reads): ``NULL`` for None, NUL
  characters dropped, as the exporter drops them;
- :func:`encode_load_data_field`, MySQL ``LOAD DATA``'s default text (``FIELDS TERMINATED BY
  '\\t' ESCAPED BY '\\\\'``): ``\\N`` for None, NUL as ``\\0``, so that nothing is lost.

Both escape backslash, TAB, LF and CR, write booleans as ``1``/``0`` and anything else as
``str()`` gives it (numbers, keys, dates); bytes are refused (their ``str()`` is no text of theirs).

Pure: no Django import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "Z": "\x1a", "b": "\b"}
# A backslash escape, or a field separator; everything between them is literal text.
_TOKEN = re.compile(r"\\(.)|\t", re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
# A TAB after an even run of backslashes (none included): a field separator.
_UNESCAPED_TAB = re.compile(r"(?<!\\)(?:\\\\)*\t")
# Long fields are unescaped a window at a time (see split_long).
_WINDOW = 1 << 16


def _unescape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    return _ESCAPES.get(escaped, escaped)


def _unescape_field(field: str) -> str:
    """Undo the escapes of one field that holds no raw TAB.

    Splitting on the escaped backslash pairs the backslashes left to right, exactly as the
    one-pass scan does, and is done in C: JSON state (``\\\\"`` for ``\\"``) needs nothing else.
    """
    chunks = field.split("\\\\")
    for index, chunk in enumerate(chunks):
        if "\\" in chunk:
            chunks[index] = _UNESCAPE.sub(_unescape, chunk)
    return "\\".join(chunks)


def split_fields(text: str) -> list[str | None]:
    """Split one record's text into fields, unescaping in a single pass; ``NULL`` becomes None."""
    if "\\" not in text:
        return [None if field == "NULL" else field for field in text.split("\t")]
    if "\\\t" not in text:
        # No backslash stands before a raw TAB, so every TAB separates fields: split first and
        # unescape only the fields that need it (the common case, and much faster).
        return [
            None if field == "NULL" else _unescape_field(field) if "\\" in field else field
            for field in text.split("\t")
        ]
    fields: list[str | None] = []
    parts: list[str] = []
    raw_null = True  # stays True only while the field's raw text is exactly the bare word NULL
    start = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[start : match.start()])
        escaped = match.group(1)
        if escaped is None:
            field = "".join(parts)
            fields.append(None if raw_null and field == "NULL" else field)
            parts, raw_null = [], True
        else:
            parts.append(_ESCAPES.get(escaped, escaped))
            raw_null = False
        start = match.end()
    parts.append(text[start:])
    field = "".join(parts)
    fields.append(None if raw_null and field == "NULL" else field)
    return fields


def split_long(text: str, width: int) -> tuple[list[str | None], int]:
    """:func:`split_fields` for a long record, with its field count, in memory near its size.

    Split naively, a record dense in escapes or separators makes millions of small strings (20
    times its size): here the fields are only cut out once their count is known to be ``width``
    (else none is), and each is unescaped a window at a time.
    """
    if "\\\t" not in text:  # every TAB separates fields
        count = text.count("\t") + 1
        fields = text.split("\t") if count == width else []
    else:
        starts, count = [0], 1
        for match in _UNESCAPED_TAB.finditer(text):
            count += 1
            if count <= width:
                starts.append(match.end())
        ends = [start - 1 for start in starts[1:]] + [len(text)]
        fields = [text[a:b] for a, b in zip(starts, ends, strict=True)] if count == width else []
    values: list[str | None] = []
    for index, field in enumerate(fields):
        fields[index] = ""  # free each raw field as soon as its value is made
        values.append(None if field == "NULL" else _unescape_long(field) if "\\" in field else field)
    return values, count


def _unescape_long(field: str) -> str:
    """:func:`_unescape_field` a window at a time, never cutting an escape in two."""
    pieces = []
    start = 0
    while start < len(field):
        end = min(start + _WINDOW, len(field))
        window = field[start:end]
        if (len(window) - len(window.rstrip("\\"))) % 2:  # its last backslash escapes field[end]
            end += 1
            window = field[start:end]
        pieces.append(_unescape_field(window))
        start = end
    return "".join(pieces)


def _encoder(*, name: str, null: str, nul: str, doc: str) -> Callable[[object], str]:
    """The one field encoder, for a dialect's NULL marker and its text for a NUL character.

    A function per dialect, not a flag per call: the MySQL loader calls it for every value of
    every row, and the checks are ordered by how often each type comes (text first).
    """

    def encode(value: object) -> str:
        kind = value.__class__
        if kind is str:
            text: str = value  # type: ignore[assignment]
        elif value is None:
            return null
        elif kind is int or kind is float:  # nothing to escape
            return str(value)
        elif isinstance(value, bool):
            return "1" if value else "0"
        elif isinstance(value, bytes | bytearray | memoryview):
            raise TypeError("bytes are no field value: decode them to text first")
        else:
            text = str(value)
        # str.replace runs in C; str.translate with a mapping goes through Python per character.
        if "\\" in text:
            text = text.replace("\\", "\\\\")
        if "\t" in text:
            text = text.replace("\t", "\\t")
        if "\n" in text:
            text = text.replace("\n", "\\n")
        if "\r" in text:
            text = text.replace("\r", "\\r")
        if "\0" in text:
            text = text.replace("\0", nul)
        return text

    encode.__name__ = encode.__qualname__ = name
    encode.__doc__ = doc
    return encode


encode_field = _encoder(
    name="encode_field",
    null="NULL",
    nul="",
    doc="""One value as the exporter writes it (and :class:`.TsvReader` reads it).

    ``NULL`` for None, ``1``/``0`` for booleans, ``str()`` of anything else with backslash, TAB,
    LF and CR escaped; NUL characters are dropped (the exporter deletes them). TypeError for bytes.
    """,
)

encode_load_data_field = _encoder(
    name="encode_load_data_field",
    null="\\N",
    nul="\\0",
    doc="""One value in MySQL ``LOAD DATA``'s default text format (the MySQL loader's rows).

    As :func:`encode_field`, but ``\\N`` for None (``LOAD DATA`` reads the word ``NULL`` as
    text) and NUL as ``\\0``, kept rather than dropped. TypeError for bytes.
    """,
)


def format_record(values: Iterable[object]) -> str:
    """One exporter line, LF included."""
    return "\t".join(map(encode_field, values)) + "\n"
