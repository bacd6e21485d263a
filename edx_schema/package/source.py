"""Open a data package (a zip, an extracted folder or one member file) and stream its members.

Nothing is extracted to disk: zip members are read as streams (zip64 included), and ``.gpg``
members are decrypted by gpg, through python-gnupg, into a named pipe in a private temporary
folder, so that a member of tens of gigabytes never sits in memory or on disk in clear.

Pure: no Django import.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import select
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..errors import PackageError
from .names import MemberName, parse_member_name, split_package_name


@dataclass(frozen=True)
class Member:
    """One member of a package: its path inside the package, parsed name and stored size."""

    path: str
    name: MemberName
    size: int


@dataclass
class Package:
    """A data package on disk. ``name`` is ``{org}-{date}`` where the path says so."""

    path: Path
    name: str
    date: datetime.date | None
    kind: str  # "zip", "folder" or "file"
    members: list[Member] = field(default_factory=list)


def _check_member_path(name: str, *, archive: Path) -> None:
    """Refuse absolute names and ``..`` components, which could write outside any folder."""
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in posix.split("/"):
        raise PackageError(
            f"{archive}: refusing member {name!r}: its name is absolute or contains '..', "
            "so the archive is malformed or hostile"
        )


def _strip_top(paths: list[str], top: str) -> dict[str, str]:
    """Map each path to its name inside the package folder (without the ``{org}-{date}/`` prefix)."""
    prefix = top + "/"
    if paths and all(p.startswith(prefix) for p in paths):
        return {p: p[len(prefix) :] for p in paths}
    return {p: p for p in paths}


def open_package(path: str | os.PathLike[str]) -> Package:
    """Inspect ``path`` and list its members (sorted by path); raise PackageError if unreadable."""
    path = Path(path)
    if not path.exists():
        raise PackageError(f"{path}: no such file or folder")
    if path.is_dir():
        parsed = split_package_name(path.name)
        package = Package(path, path.name, parsed[1] if parsed else None, "folder")
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            relative = file.relative_to(path).as_posix()
            package.members.append(Member(relative, parse_member_name(relative), file.stat().st_size))
        return package
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
            package.members.append(Member(relative, parse_member_name(relative), info.file_size))
        return package
    if path.suffix.lower() == ".zip":
        raise PackageError(f"{path}: not a readable zip file")
    # One member on its own: its folder, if named {org}-{date}, names the package.
    parent = path.parent.name
    parsed = split_package_name(parent)
    package = Package(path, parent if parsed else path.name, parsed[1] if parsed else None, "file")
    package.members.append(Member(path.name, parse_member_name(path.name), path.stat().st_size))
    return package


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
        with tempfile.TemporaryDirectory(prefix="edx-schema-") as folder:
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

    Pass ``complete=False`` to read only the start of an encrypted member.
    """
    label = f"{package.name}/{member.path}" if package.kind != "file" else str(package.path)
    with ExitStack() as stack:
        if package.kind == "zip":
            archive = stack.enter_context(zipfile.ZipFile(package.path))
            stored = _zip_name(archive, package, member)
            try:
                raw: BinaryIO = stack.enter_context(archive.open(stored))
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
                raise PackageError(f"{label}: cannot read this zip member ({error})") from None
        elif package.kind == "folder":
            raw = stack.enter_context(open(package.path / member.path, "rb"))
        else:
            raw = stack.enter_context(open(package.path, "rb"))
        if member.name.encrypted:
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
