"""A zip member's stream whose damage fails that member alone, in short words.

Pure: no Django import.
"""

from __future__ import annotations

import io
import lzma
import re
import zipfile
import zlib

from ...errors import PackageError

#: What zipfile raises for a damaged member: a bad header or CRC, corrupt or cut-off compressed
#: data (zlib, bzip2's OSError, lzma), an unsupported method or an encrypted member.
ZIP_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)


def zip_failure(label: str, error: BaseException) -> PackageError:
    """The member's failure for a zip error, in short words, without zipfile's repeat of its name."""
    if isinstance(error, EOFError):
        reason = "the compressed data ends early"
    elif isinstance(error, OSError) and error.strerror:
        reason = error.strerror
    else:
        reason = re.sub(r" for file ['\"].*", "", str(error), flags=re.S) or type(error).__name__
    if reason[1:2].islower():  # "Bad CRC-32" reads "bad CRC-32" after a colon; "CRC ..." stays
        reason = reason[0].lower() + reason[1:]
    reason = reason if len(reason) <= 100 else reason[:97] + "..."
    if isinstance(error, NotImplementedError | RuntimeError):  # a method or encryption zipfile lacks
        return PackageError(f"{label}: cannot read this zip member ({reason})")
    return PackageError(f"{label}: damaged in the zip: {reason}")


class ZipMember(io.BufferedIOBase):
    """A zip member's stream whose damage, found while reading, fails the member, not the import.

    zipfile checks the CRC only at the end, and finds corrupt compressed data only where it is:
    either raises deep inside a reader, as an exception the loaders do not expect.
    """

    def __init__(self, raw: zipfile.ZipExtFile, *, label: str) -> None:
        super().__init__()
        self._raw = raw
        self._label = label
        self.failure: PackageError | None = None

    @property
    def name(self) -> str:
        return self._label

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._guard(self._raw.read, -1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self._guard(self._raw.read1, size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._guard(self._raw.readline, -1 if size is None else size)

    def peek(self, size: int = 0) -> bytes:
        return self._guard(self._raw.peek, size)

    def _guard(self, read, size: int) -> bytes:
        try:
            return read(size)
        except ZIP_DAMAGE as error:
            self.failure = zip_failure(self._label, error)
            raise self.failure from None

    def reraise(self, *exc_info: object) -> None:
        """An ExitStack callback: replace whatever a reader made of the damage by the damage."""
        if self.failure is not None and exc_info[1] is not self.failure:
            raise self.failure from None

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()
