"""The LMS's serialisation of a subsection's visible blocks, and its hash.

Pure functions with no Django import: ``grades_visibleblocks.blocks_json`` is compact, key-sorted
JSON of ``{"blocks": [...], "course_key": ..., "version": 1}``, and ``hashed`` is the base64 of
its SHA-1 digest (the LMS's ``BlockRecordList.json_value`` and ``hash_value``).
"""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Iterable, Mapping
from hashlib import sha1
from typing import Any

#: ``BLOCK_RECORD_LIST_VERSION`` in the LMS.
BLOCK_RECORD_LIST_VERSION = 1


def blocks_json(*, course_key: str, blocks: Iterable[Mapping[str, Any]]) -> str:
    """Serialise block records exactly as the LMS stores them in ``blocks_json``.

    Each record has ``locator`` (a usage key string), ``weight`` (float or None),
    ``raw_possible`` (float) and ``graded`` (bool); order is kept, as the LMS keeps it.
    """
    records = [
        {
            "locator": str(block["locator"]),
            "weight": block.get("weight"),
            "raw_possible": block["raw_possible"],
            "graded": block["graded"],
        }
        for block in blocks
    ]
    data = {"blocks": records, "course_key": str(course_key), "version": BLOCK_RECORD_LIST_VERSION}
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def blocks_hash(json_value: str) -> str:
    """Return ``hashed`` for a ``blocks_json`` value: base64(SHA-1), 28 characters."""
    return b64encode(sha1(json_value.encode("utf-8")).digest()).decode("ascii")
