"""How many worker processes load a package's members (``--jobs``), and in what order: pure.

A member may start once every member of the tables its table refers to has loaded; never while
another member of its own table loads (InnoDB would make the two wait on each other, LOAD DATA
holding the table's auto-increment lock, or deadlock them); and among those that may, the
biggest first, so that no worker is left with a long file at the end while the others idle.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence

#: The most worker processes the command starts by default (one connection each).
DEFAULT_JOBS_LIMIT = 4


def default_jobs() -> int:
    """The command's default ``--jobs``: this machine's cores, at most :data:`DEFAULT_JOBS_LIMIT`.

    Loading is CPU-bound on both sides of the connection, and files of different tables load
    independently. SQLite and ``--dry-run`` load one file at a time whatever this says.
    """
    return max(1, min(DEFAULT_JOBS_LIMIT, os.cpu_count() or 1))


class LoadSchedule:
    """Members by index, with their tables and sizes, started as :meth:`start` allows."""

    def __init__(
        self, tables: Sequence[str], sizes: Sequence[int], dependencies: Mapping[str, frozenset[str]]
    ) -> None:
        self.tables = list(tables)
        self.dependencies = dependencies
        self.pending = Counter(self.tables)  # members of each table not loaded yet
        self.waiting = sorted(range(len(self.tables)), key=lambda index: -sizes[index])
        self.loading: set[int] = set()

    @property
    def done(self) -> bool:
        return not self.waiting and not self.loading

    def start(self, free: int) -> list[int]:
        """Up to ``free`` members that may start now (taken as started), biggest first."""
        busy = {self.tables[index] for index in self.loading}
        started: list[int] = []
        for index in list(self.waiting):
            if len(started) >= free:
                break
            table = self.tables[index]
            if table in busy or any(self.pending[t] for t in self.dependencies.get(table, ())):
                continue
            started.append(index)
            busy.add(table)
            self.waiting.remove(index)
            self.loading.add(index)
        # The waiting member whose table comes first in the dependency order always has what it
        # refers to: if nothing is loading, something starts.
        if self.waiting and not self.loading:
            raise RuntimeError("no member can start: the tables refer to each other in a cycle")
        return started

    def finish(self, index: int) -> None:
        """Member ``index`` has loaded (or failed: what refers to it may load and say so)."""
        self.loading.remove(index)
        self.pending[self.tables[index]] -= 1
