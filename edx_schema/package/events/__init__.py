"""Tracking logs (event logs): their file names, their lines, and what each event is about.

Pure: no Django import.
"""

from .bad import BadLine
from .decode import EVENT_COLUMNS, MAX_LINE_BYTES, EventRow, decode_line, excerpt, line_key
from .families import FAMILIES, FAMILY_LABELS

__all__ = [
    "EVENT_COLUMNS",
    "FAMILIES",
    "FAMILY_LABELS",
    "MAX_LINE_BYTES",
    "BadLine",
    "EventRow",
    "decode_line",
    "excerpt",
    "line_key",
]
