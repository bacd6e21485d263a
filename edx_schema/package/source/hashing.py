"""Counting and hashing the bytes of a member as they are read (the import record keeps both).

Pure: no Django import.
"""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO


class HashingReader(io.RawIOBase):
    """A read-only stream that counts and SHA-256-hashes the bytes read through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.bytes_read = 0
        self.sha256 = hashlib.sha256()
        self._adopted: str | None = None

    def hexdigest(self) -> str:
        """The SHA-256 of everything read, here or by a process that read on our behalf."""
        return self._adopted or self.sha256.hexdigest()

    def adopt(self, *, bytes_read: int, hexdigest: str | None = None) -> None:
        """Take over the count (and at the end the digest) of a forked process that read for us."""
        self.bytes_read = bytes_read
        if hexdigest is not None:
            self._adopted = hexdigest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        self.sha256.update(data)
        return n
