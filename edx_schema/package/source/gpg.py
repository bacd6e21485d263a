"""Decrypting ``.gpg`` members: gpg writes the plaintext into a named pipe that the reader reads.

The pipe sits in a private temporary folder, so that a member of tens of gigabytes never sits
in memory or on disk in clear; a folder left by a killed process is removed by the next
decryption.

Pure: no Django import.
"""

from __future__ import annotations

import io
import os
import select
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import BinaryIO

from ...errors import PackageError

#: The environment variable that holds the key's passphrase when no file names it.
PASSPHRASE_ENV = "EDX_SCHEMA_GPG_PASSPHRASE"


def read_passphrase(path: str | None) -> str | None:
    """The passphrase: the first line of the file at ``path``, else ``$EDX_SCHEMA_GPG_PASSPHRASE``
    (None: gpg's agent or an unprotected key). PackageError names a file that cannot be read."""
    if path:
        try:
            with open(path, encoding="utf-8") as file:
                return file.readline().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            raise PackageError(f"--passphrase-file {path}: {reason}.") from None
    return os.environ.get(PASSPHRASE_ENV) or None


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
