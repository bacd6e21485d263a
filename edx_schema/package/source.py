"""Open a data package (a zip, an extracted folder or one member file) and stream its members.

Nothing is extracted to disk: zip members are read as streams (zip64 included), and ``.gpg``
members are decrypted by gpg, through python-gnupg, into a named pipe in a private temporary
folder, so that a member of tens of gigabytes never sits in memory or on disk in clear.

Only regular files are members: a symbolic link (in a folder or a zip), a named pipe or a device
is listed as refused and never opened, so that no file outside the package is read or echoed.
A damaged zip member fails on its own, with a PackageError, however far into it the damage is.

Pure: no Django import.
"""

from __future__ import annotations

import datetime
import errno
import hashlib
import io
import lzma
import os
import re
import select
import stat
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..errors import PackageError, shown
from .names import MemberName, parse_member_name, split_package_name


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
_SYMLINK = "is a symbolic link; refused"


def _not_regular(mode: int) -> str:
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
        raise PackageError(f"{path}: {_not_regular(status.st_mode)}")
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
            refused = _not_regular(mode) if stat.S_IFMT(mode) not in (0, stat.S_IFREG) else None
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
                add(path, refused=_not_regular(status.st_mode))
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


@dataclass(frozen=True)
class Decryption:
    """How to decrypt ``.gpg`` members: a GnuPG home folder and an optional passphrase."""

    gnupghome: str | None = None
    passphrase: str | None = None

    @contextmanager
    def decrypt(self, encrypted: BinaryIO, *, label: str, complete: bool = True) -> Iterator[BinaryIO]:
        """Yield the plaintext of ``encrypted`` as a stream; raise PackageError if gpg fails.

        gpg writes into a named pipe in a private temporary folder while the caller reads it, so
        the plaintext is never stored. gpg runs with ``--batch`` and loopback pinentry: it fails
        rather than prompting. With ``complete=False`` the caller may stop early (to peek at the
        first rows): gpg is then cut off and its status ignored.
        """
        import gnupg  # imported here: only encrypted packages need gpg installed

        if self.passphrase is not None and ("\n" in self.passphrase or "\r" in self.passphrase):
            raise PackageError(f"{label}: the passphrase contains a line break; gpg cannot take it")
        try:
            gpg = gnupg.GPG(gnupghome=self.gnupghome)
        except (OSError, ValueError, RuntimeError) as error:
            raise PackageError(f"{label}: cannot run gpg ({error})") from None
        remove_stale_pipe_folders()
        with tempfile.TemporaryDirectory(prefix=f"{PIPE_FOLDER_PREFIX}{os.getpid()}-") as folder:
            pipe = os.path.join(folder, "plaintext")
            os.mkfifo(pipe, 0o600)
            outcome: dict[str, object] = {}
            finished = threading.Event()
            # Open our end first, so that gpg's open never waits, and even if gpg never opens it.
            reader = _PipeReader(pipe, writer_finished=finished)

            def run() -> None:
                try:
                    outcome["result"] = gpg.decrypt_file(
                        encrypted,
                        passphrase=self.passphrase,
                        output=pipe,
                        extra_args=["--pinentry-mode", "loopback"],
                    )
                except Exception as error:  # reported to the reader below
                    outcome["error"] = error
                finally:
                    finished.set()

            worker = threading.Thread(target=run, name=f"gpg {label}", daemon=True)
            worker.start()
            try:
                with io.BufferedReader(reader, buffer_size=1 << 20) as plaintext:
                    yield plaintext
                    # Drain in chunks: gpg reports its status only once it has written everything.
                    while complete and plaintext.read(1 << 20):
                        pass
            finally:
                reader.close()
                # If we stopped before gpg opened its end, its open() now waits for a reader:
                # give it one that closes at once, so that gpg fails on write and exits.
                while worker.is_alive():
                    _touch_read_end(pipe)
                    worker.join(0.05)
            if not complete:
                return
            result = outcome.get("result")
            if "error" in outcome or result is None or not result.ok:
                status = getattr(result, "status", None) or outcome.get("error") or "unknown error"
                stderr = (getattr(result, "stderr", "") or "").lower()
                hint = ""
                # gpg reports a bad passphrase as "no secret key" as well: look at the passphrase first.
                if "bad passphrase" in stderr or "bad_passphrase" in stderr or "missing_passphrase" in stderr:
                    hint = " (wrong or missing passphrase: see --passphrase-file)"
                elif "no secret key" in stderr or "no_seckey" in stderr:
                    hint = " (no secret key for it in the keyring: check --gnupghome)"
                raise PackageError(f"{label}: gpg could not decrypt it: {status}{hint}")


#: gpg's plaintext pipe lives in ``{tmp}/edx-schema-gpg-{pid}-*``: the pid says whose it is.
PIPE_FOLDER_PREFIX = "edx-schema-gpg-"


def remove_stale_pipe_folders() -> list[str]:
    """Remove the pipe folders of importer processes that are gone (killed with -9, say).

    A kill leaves no chance to clean up; the next decryption does it instead. Only folders of
    this user whose process no longer runs are removed (a live process keeps its own). Returns
    the folders removed.
    """
    removed = []
    root = tempfile.gettempdir()
    with suppress(OSError):
        entries = [e for e in os.scandir(root) if e.name.startswith(PIPE_FOLDER_PREFIX)]
        for entry in entries:
            pid = entry.name[len(PIPE_FOLDER_PREFIX) :].split("-", 1)[0]
            with suppress(OSError):
                status = entry.stat(follow_symlinks=False)
                if not (pid.isdigit() and stat.S_ISDIR(status.st_mode)) or status.st_uid != os.geteuid():
                    continue
                if _process_exists(int(pid)):
                    continue
                for name in os.listdir(entry.path):  # only the pipe: never anything else's files
                    os.unlink(os.path.join(entry.path, name))
                os.rmdir(entry.path)
                removed.append(entry.path)
    return removed


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class _PipeReader(io.RawIOBase):
    """The read end of a named pipe whose writer opens it late, or never (if gpg fails first).

    Opened non-blocking, so that opening never waits: end-of-file is only believed once a writer
    has been seen, or once the writer's thread has finished.
    """

    def __init__(self, path: str, *, writer_finished: threading.Event) -> None:
        self._path = path
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._finished = writer_finished
        self._connected = False

    @property
    def name(self) -> str:
        return self._path

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while True:
            try:
                data = os.read(self._fd, len(buffer))
            except BlockingIOError:  # a writer is there and has nothing more yet
                self._connected = True
                select.select([self._fd], [], [], 1.0)
                continue
            if data:
                self._connected = True
                buffer[: len(data)] = data
                return len(data)
            if self._connected or self._finished.is_set():
                return 0
            self._finished.wait(0.01)  # no writer yet: gpg is still starting

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def _touch_read_end(pipe: str) -> None:
    with suppress(OSError):  # gone already: nothing is waiting
        os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))


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
        damage: _ZipMember | None = None
        if package.kind == "zip":
            archive = package.archive()
            stored = _zip_name(archive, package, member)
            try:
                opened = archive.open(stored)
            except _ZIP_DAMAGE as error:
                raise _zip_failure(label, error) from None
            damage = stack.enter_context(_ZipMember(opened, label=label))
            raw: BinaryIO = damage
        elif package.kind == "folder":
            raw = stack.enter_context(_open_in_folder(package.path, member.path, label=label))
        else:
            raw = stack.enter_context(_open_regular(package.path, label=label, follow=True))
        if member.name.encrypted:
            if damage is not None:
                # gpg reads in its own thread, and only says "decryption failed" when the zip
                # fails under it: report the damage instead (called after the decryption's exit).
                stack.push(damage.reraise)
            decrypting = (decryption or Decryption()).decrypt(raw, label=label, complete=complete)
            raw = stack.enter_context(decrypting)
        yield raw


#: What zipfile raises for a damaged member: a bad header or CRC, corrupt or cut-off compressed
#: data (zlib, bzip2's OSError, lzma), an unsupported method or an encrypted member.
_ZIP_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)


def _zip_failure(label: str, error: BaseException) -> PackageError:
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


class _ZipMember(io.BufferedIOBase):
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
        except _ZIP_DAMAGE as error:
            self.failure = _zip_failure(self._label, error)
            raise self.failure from None

    def reraise(self, *exc_info: object) -> None:
        """An ExitStack callback: replace whatever a reader made of the damage by the damage."""
        if self.failure is not None and exc_info[1] is not self.failure:
            raise self.failure from None

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def _open_regular(
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
            raise PackageError(f"{label}: {_not_regular(mode)}")
        os.set_blocking(fd, True)
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_in_folder(root: Path, relative: str, *, label: str) -> BinaryIO:
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
                    raise PackageError(f"{label}: its folder {where!r} {_not_regular(mode)}") from None
                raise
            os.close(folder)
            folder = inner
        return _open_regular(leaf, label=label, follow=False, folder=folder)
    finally:
        os.close(folder)


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
