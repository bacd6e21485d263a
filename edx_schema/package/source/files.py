"""Opening a package's regular files, and only those: no symbolic link below the package, no pipe.

Every check is made on the open file itself (fstat), not on its name beforehand, so that an
entry swapped for a link or a pipe after the listing is still refused.

Pure: no Django import.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from ...errors import PackageError

_SYMLINK = "is a symbolic link; refused"


def not_regular(mode: int) -> str:
    """Why an entry of this mode is refused: only regular files are members."""
    if stat.S_ISLNK(mode):
        return _SYMLINK
    kinds = {
        stat.S_IFIFO: "a named pipe",
        stat.S_IFSOCK: "a socket",
        stat.S_IFCHR: "a character device",
        stat.S_IFBLK: "a block device",
        stat.S_IFDIR: "a folder",
    }
    return f"is not a regular file ({kinds.get(stat.S_IFMT(mode), 'of an unknown type')}); refused"


def open_regular(
    name: str | os.PathLike[str], *, label: str, follow: bool, folder: int | None = None
) -> BinaryIO:
    """Open a regular file for reading; refuse a symbolic link (unless ``follow``) or anything else.

    Checked on the open file itself (fstat), not on its name beforehand, so that an entry swapped
    for a link or a pipe after the listing is still refused; O_NONBLOCK: opening a pipe never waits.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(name, flags, dir_fd=folder)
    except OSError as error:
        if error.errno == errno.ELOOP and not follow:
            raise PackageError(f"{label}: {_SYMLINK}") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise PackageError(f"{label}: {not_regular(mode)}")
        os.set_blocking(fd, True)
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def open_in_folder(root: Path, relative: str, *, label: str) -> BinaryIO:
    """Open ``root/relative`` one component at a time, following no symbolic link below ``root``."""
    *parents, leaf = relative.split("/")
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for index, part in enumerate(parents):
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
            try:
                inner = os.open(part, flags, dir_fd=folder)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    mode = os.stat(part, dir_fd=folder, follow_symlinks=False).st_mode
                    where = "/".join(parents[: index + 1])
                    raise PackageError(f"{label}: its folder {where!r} {not_regular(mode)}") from None
                raise
            os.close(folder)
            folder = inner
        return open_regular(leaf, label=label, follow=False, folder=folder)
    finally:
        os.close(folder)
