"""Reading a course export's tarball as a stream, in bounded memory whatever it holds.

Pure: no Django import.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from ...errors import PackageError

#: A tar header (long name, pax attributes) at most: tarfile reads one whole into memory.
MAX_TAR_HEADER_BYTES = 1 << 20
#: What a damaged, cut or inflated tarball raises while it is read.
TAR_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)


class BoundedTarInfo(tarfile.TarInfo):
    """A tar header that refuses a long name or pax record over MAX_TAR_HEADER_BYTES.

    tarfile reads such a record whole into memory, whatever size its header claims.
    """

    def _refuse_large(self) -> None:
        if self.size > MAX_TAR_HEADER_BYTES:
            raise PackageError(
                f"a tar header record of {self.size:,} bytes, more than the limit of {MAX_TAR_HEADER_BYTES:,}"
            )

    def _proc_gnulong(self, tarfile):  # type: ignore[no-untyped-def]
        self._refuse_large()
        return super()._proc_gnulong(tarfile)

    def _proc_pax(self, tarfile):  # type: ignore[no-untyped-def]
        self._refuse_large()
        return super()._proc_pax(tarfile)


class _Rejoined(io.RawIOBase):
    """The bytes already read from a stream, then the rest of it."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            count = min(len(buffer), len(self.head))
            buffer[:count], self.head = self.head[:count], self.head[count:]
            return count
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def decompressed(stream: BinaryIO) -> BinaryIO:
    """The tar inside a gzip, bzip2 or xz stream (or a plain tar).

    These file classes decompress a bounded amount at a time; tarfile's own ``r|*`` decompresses
    each compressed chunk whole, which a bzip2 chunk can inflate to gigabytes.
    """
    head = stream.read(6)
    joined = io.BufferedReader(_Rejoined(head, stream))
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=joined, mode="rb")  # type: ignore[return-value]
    if head.startswith(b"BZh"):
        return bz2.BZ2File(joined)  # type: ignore[return-value]
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(joined)  # type: ignore[return-value]
    return joined  # type: ignore[return-value]


def regular_files(stream: BinaryIO, *, wanted: Callable[[str], bool]) -> Iterator[tuple[str, BinaryIO]]:
    """The tarball's regular files whose normalised path is ``wanted``: (path, contents), in order.

    Streamed: each file's contents can be read only until the next is asked for, and no header
    is kept. Paths over 4,096 characters are passed over. Reading raises :data:`TAR_ERRORS` or
    PackageError for a damaged or hostile tarball.
    """
    with tarfile.open(fileobj=decompressed(stream), mode="r|", tarinfo=BoundedTarInfo) as archive:
        while (member := archive.next()) is not None:
            archive.members.clear()  # streamed: tarfile would otherwise keep every header
            path = str(PurePosixPath(member.name))
            if not member.isfile() or len(path) > 4096 or not wanted(path):
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                yield path, handle
