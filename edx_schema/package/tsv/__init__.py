"""Decoder for the ``.sql`` members of a data package, which are tab-separated text, not SQL.

The format (the research exporter's, the legacy mysql CLI's and the Hadoop studentmodule job's):

- one header row of column names, then one record per line, fields separated by TAB;
- a one-pass backslash unescape: ``\\n`` LF, ``\\t`` TAB, ``\\r`` CR, ``\\0`` NUL, ``\\Z`` SUB,
  ``\\b`` BS, and a backslash before any other character (a raw TAB or LF included) yields
  that character;
- records end only at an *unescaped* LF; a raw CR inside a record is data (the legacy mysql
  client wrote CRs unescaped), but one raw CR right before a record's LF is taken as part of a
  CRLF line break and dropped, so that a file converted to CRLF loads as the LF original (the
  exporter escapes every CR it writes, so no value of its loses a character; only a value of
  the legacy client's that ended in a CR, in the last column, does);
- the bare word ``NULL`` is NULL and an empty field is ``''``;
- UTF-8, with an optional byte-order mark; a raw NUL byte is refused (the exporter writes
  ``\\0`` or drops NULs, so one means a damaged or UTF-16 file).

Modules: :mod:`.records` finds the records in a byte stream, :mod:`.fields` splits and
unescapes a record's fields (and escapes values, for the exporter and for MySQL ``LOAD
DATA``), :mod:`.reader` checks the header and each record against it.

Pure: it imports nothing from Django, so it is tested directly. It streams: a record may hold at
most :data:`MAX_RECORD_BYTES` bytes, so memory is bounded by that, never by the file, whatever
the input (one endless line, millions of blank lines).
"""

from .fields import encode_field, encode_load_data_field, format_record, split_fields
from .reader import Record, TsvReader
from .records import MAX_RECORD_BYTES, split_chunks

__all__ = [
    "MAX_RECORD_BYTES",
    "Record",
    "TsvReader",
    "encode_field",
    "encode_load_data_field",
    "format_record",
    "split_chunks",
    "split_fields",
]
