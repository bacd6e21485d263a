"""A package's members: listed from a folder, a zip or one file, and opened as streams.

Pure: no Django import.
"""

from __future__ import annotations

import datetime
import os
import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ...errors import PackageError, shown
from ..names import MemberName, parse_member_name, split_package_name
from .files import not_regular, open_in_folder, open_regular
from .gpg import Decryption
from .zipped import ZIP_DAMAGE, ZipMember, zip_failure


@dataclass(frozen=True)
class Member:
    """One member of a package: its path inside the package, parsed name and stored size.

    ``refused`` says why the member is never opened (a symbolic link, a named pipe, ...):
    :func:`open_member` raises PackageError with it, and the importer reports it as a failure.
    """

    path: str
    name: MemberName
    size: int
    refused: str | None = None


@dataclass
class Package:
    """A data package on disk. ``name`` is ``{org}-{date}`` where the path says so.

    ``warnings`` are messages about a package that opens but may not hold what the user expects
    (an empty folder or zip, a zip inside the package, whose members are not read).

    A zip's central directory is read once per process and kept open, rather than once per member
    (which made a 10,000-member zip quadratic); :meth:`close` closes it. Pickling (to a worker
    process) leaves it behind: a process opens its own, so that no two share a file offset.
    """

    path: Path
    name: str
    date: datetime.date | None
    kind: str  # "zip", "folder" or "file"
    members: list[Member] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _archive: zipfile.ZipFile | None = field(default=None, init=False, repr=False, compare=False)
    _archive_pid: int = field(default=0, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_archive": None, "_archive_pid": 0}

    def archive(self) -> zipfile.ZipFile:
        """This process's open ZipFile of a zip package."""
        with _ARCHIVE_LOCK:
            if self._archive is None or self._archive_pid != os.getpid():
                try:
                    self._archive = zipfile.ZipFile(self.path)
                except (zipfile.BadZipFile, OSError) as error:
                    raise PackageError(f"{self.path}: not a readable zip file ({error})") from None
                self._archive_pid = os.getpid()
            return self._archive

    def close(self) -> None:
        """Close the zip kept open by :meth:`archive` (it reopens if needed)."""
        with _ARCHIVE_LOCK:
            if self._archive is not None and self._archive_pid == os.getpid():
                self._archive.close()
            self._archive = None

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_ARCHIVE_LOCK = threading.Lock()


def _check_member_path(name: str, *, archive: Path) -> None:
    """Refuse absolute names and ``..`` components, which could write outside any folder."""
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in posix.split("/"):
        raise PackageError(
            f"{archive}: refusing member {shown(name)}: its name is absolute or contains '..', "
            "so the archive is malformed or hostile"
        )


def _strip_top(paths: list[str], top: str) -> dict[str, str]:
    """Map each path to its name inside the package folder (without the ``{org}-{date}/`` prefix)."""
    prefix = top + "/"
    if paths and all(p.startswith(prefix) for p in paths):
        return {p: p[len(prefix) :] for p in paths}
    return {p: p for p in paths}


def open_package(path: str | os.PathLike[str]) -> Package:
    """Inspect ``path`` and list its members (sorted by path); raise PackageError if unreadable.

    ``path`` itself may be a symbolic link (to a folder, a zip or a member); inside a folder,
    symbolic links and anything but regular files are listed as refused members, never followed.
    """
    path = Path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise PackageError(f"{path}: no such file or folder") from None
    if stat.S_ISDIR(status.st_mode):
        parsed = split_package_name(path.name)
        package = Package(path, path.name, parsed[1] if parsed else None, "folder")
        package.members = _folder_members(path)
        _warn(package, "folder")
        return package
    if not stat.S_ISREG(status.st_mode):  # a named pipe would block (or be consumed by) the zip check
        raise PackageError(f"{path}: {not_regular(status.st_mode)}")
    if zipfile.is_zipfile(path):
        stem = path.name[: -len(".zip")] if path.name.lower().endswith(".zip") else path.stem
        parsed = split_package_name(stem)
        package = Package(path, stem, parsed[1] if parsed else None, "zip")
        try:
            with zipfile.ZipFile(path) as archive:
                infos = [info for info in archive.infolist() if not info.is_dir()]
        except (zipfile.BadZipFile, OSError) as error:
            raise PackageError(f"{path}: not a readable zip file ({error})") from None
        for info in infos:
            _check_member_path(info.filename, archive=path)
        inner = _strip_top([info.filename for info in infos], stem)
        for info in sorted(infos, key=lambda i: inner[i.filename]):
            relative = inner[info.filename]
            # Unix zips keep the entry's file type in the high bits: a link's data is its target.
            mode = info.external_attr >> 16
            refused = not_regular(mode) if stat.S_IFMT(mode) not in (0, stat.S_IFREG) else None
            package.members.append(Member(relative, parse_member_name(relative), info.file_size, refused))
        _warn(package, "zip")
        return package
    if path.suffix.lower() == ".zip":
        raise PackageError(f"{path}: not a readable zip file")
    # One member on its own: its folder, if named {org}-{date}, names the package.
    parent = path.parent.name
    parsed = split_package_name(parent)
    package = Package(path, parent if parsed else path.name, parsed[1] if parsed else None, "file")
    package.members.append(Member(path.name, parse_member_name(path.name), status.st_size))
    return package


def _folder_members(root: Path) -> list[Member]:
    """The regular files under ``root``, sorted by path, and every other entry as refused.

    Walked with scandir, one lstat per entry, never into a symbolically linked folder: a link
    named like a member must not make the importer read (and echo) a file outside the package.
    """
    members: list[Member] = []

    def add(path: str, size: int = 0, refused: str | None = None) -> None:
        members.append(Member(path, parse_member_name(path), size, refused))

    folders = [""]
    while folders:
        relative = folders.pop()
        try:
            with os.scandir(root / relative if relative else root) as listing:
                entries = list(listing)
        except OSError as error:
            if not relative:
                raise PackageError(f"{root}: cannot list this folder ({error.strerror or error})") from None
            add(relative, refused=f"cannot list this folder ({error.strerror or error}); refused")
            continue
        for entry in entries:
            path = f"{relative}/{entry.name}" if relative else entry.name
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError as error:
                add(path, refused=f"cannot inspect it ({error.strerror or error}); refused")
                continue
            if stat.S_ISDIR(status.st_mode):
                folders.append(path)
            elif stat.S_ISREG(status.st_mode):
                add(path, status.st_size)
            else:
                add(path, refused=not_regular(status.st_mode))
    members.sort(key=lambda m: m.path)
    return members


def _warn(package: Package, kind: str) -> None:
    """Note an empty package and zips inside it: the importer would otherwise load nothing silently."""
    if not package.members:
        package.warnings.append(f"{package.path}: the package holds no files (an empty {kind})")
    for member in package.members:
        if member.path.lower().endswith((".zip", ".zip.gpg")):
            package.warnings.append(
                f"{member_label(package, member)}: a zip inside the package; its members are not read "
                "(unzip it and import it as a package of its own)"
            )


@contextmanager
def open_member(
    package: Package, member: Member, *, decryption: Decryption | None = None, complete: bool = True
) -> Iterator[BinaryIO]:
    """Yield a binary stream of the member's (decrypted) bytes.

    Pass ``complete=False`` to read only the start of an encrypted member. A refused member, a
    folder entry that is not a regular file by the time it is opened, or a damaged zip member
    (when opened or while read) raises PackageError naming the member.
    """
    label = member_label(package, member)
    if member.refused:
        raise PackageError(f"{label}: {member.refused}")
    with ExitStack() as stack:
        damage: ZipMember | None = None
        if package.kind == "zip":
            archive = package.archive()
            stored = _zip_name(archive, package, member)
            try:
                opened = archive.open(stored)
            except ZIP_DAMAGE as error:
                raise zip_failure(label, error) from None
            damage = stack.enter_context(ZipMember(opened, label=label))
            raw: BinaryIO = damage
        elif package.kind == "folder":
            raw = stack.enter_context(open_in_folder(package.path, member.path, label=label))
        else:
            raw = stack.enter_context(open_regular(package.path, label=label, follow=True))
        if member.name.encrypted:
            if damage is not None:
                # gpg reads in its own thread, and only says "decryption failed" when the zip
                # fails under it: report the damage instead (called after the decryption's exit).
                stack.push(damage.reraise)
            decrypting = (decryption or Decryption()).decrypt(raw, label=label, complete=complete)
            raw = stack.enter_context(decrypting)
        yield raw


def _zip_name(archive: zipfile.ZipFile, package: Package, member: Member) -> str:
    for candidate in (f"{package.name}/{member.path}", member.path):
        try:
            archive.getinfo(candidate)
        except KeyError:
            continue
        return candidate
    raise PackageError(f"{package.path}: member {member.path} has disappeared from the zip")


def member_label(package: Package, member: Member) -> str:
    """How messages name a member: ``{package}/{path}``, or the file path for a lone file."""
    return str(package.path) if package.kind == "file" else str(PurePosixPath(package.name, member.path))
