"""Read a big query result in keyset pages, so memory stays bounded on every backend.

Pages are read with ``key > last`` rather than ``iterator()``: MySQLdb buffers a whole result
set on the client, so one query would hold the whole table (or course) in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import models

CHUNK = 2_000


def by_key(
    queryset: models.QuerySet,
    fields: tuple[Any, ...],
    *,
    key: str,
    prefix: tuple[str, ...] = (),
    after: Any = None,
    upto: Any = None,
    chunk: int = CHUNK,
) -> Iterator[tuple[Any, list[tuple]]]:
    """``(key value, rows)`` for each value of ``key`` in ``queryset``, in key order.

    ``fields[0]`` must be ``key``. Rows are ordered by ``(*prefix, key)``: ``prefix`` names
    columns the queryset fixes to one value (a course), so that the database reads a
    ``(course_id, user_id, ...)`` index in order. Only keys above ``after`` and up to ``upto``:
    as keyset bounds, not filters, so that every page is the same query. A page ends at the last
    key it holds completely; the next page starts after that key (a key with more than a page
    of rows is read alone).
    """
    if not fields or fields[0] != key:
        raise ValueError(f"the first field must be {key!r}")
    while True:
        page = queryset if after is None else queryset.filter(**{f"{key}__gt": after})
        rows = list(page.order_by(*prefix, key).values_list(*fields)[:chunk])
        if len(rows) == chunk:
            last = rows[-1][0]
            complete = [row for row in rows if row[0] != last]
            if not complete:  # one key has a whole page of rows or more: read that key alone
                complete = list(page.filter(**{key: last}).values_list(*fields))
        else:
            complete = rows
        for value, group in groupby(complete, key=itemgetter(0)):
            if upto is not None and value > upto:
                return
            yield value, list(group)
        if len(rows) < chunk:
            return
        after = complete[-1][0]


def by_primary_key(
    queryset: models.QuerySet, fields: tuple[Any, ...], *, chunk: int = CHUNK
) -> Iterator[tuple]:
    """The ``fields`` of ``queryset``'s rows in primary-key order; ``fields[0]`` must be ``"pk"``."""
    for _pk, rows in by_key(queryset, fields, key="pk", chunk=chunk):
        yield from rows
