"""Read a big query result in keyset pages, so memory stays bounded on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import models

CHUNK = 2_000


def by_primary_key(
    queryset: models.QuerySet, fields: tuple[Any, ...], *, chunk: int = CHUNK
) -> Iterator[tuple]:
    """The ``fields`` of ``queryset``'s rows in primary-key order; ``fields[0]`` must be ``"pk"``.

    Read CHUNK rows at a time with ``pk > last`` rather than ``iterator()``: MySQLdb buffers
    a whole result set on the client, so one query would hold the whole table in memory.
    """
    if not fields or fields[0] != "pk":
        raise ValueError("the first field must be 'pk'")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(page.order_by("pk").values_list(*fields)[:chunk])
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1][0]
