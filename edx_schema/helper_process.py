"""Work done in a forked helper process, its results sent back as marshalled messages.

SQLite lets one connection write at a time, and Python threads share one interpreter lock, so
the two jobs that want a second CPU on SQLite fork a helper: the loader parses a big member
there while this process writes its rows, and recompute grades the upper half of a big course
there while this process grades the lower half. Messages are plain values (marshal is the
fastest serialisation for them). They travel through a pipe, read while the helper runs, or
through a spool file, read once it has finished, where reading meanwhile would stall it.

Only where ``fork`` exists (:func:`can_fork`): the helper inherits the parent's open files and
objects, none of which could be pickled.
"""

from __future__ import annotations

import ctypes
import marshal
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

from .errors import EdxSchemaError, unexpected

#: What a helper's work is given: a function that sends one message to the parent.
Send = Callable[[Any], None]


class HelperFailed(EdxSchemaError):
    """The helper process raised, or stopped without finishing.

    ``expected`` is True when it raised one of edx-schema's own errors, whose message is meant
    for the user as it is.
    """

    def __init__(self, message: str, *, expected: bool = False) -> None:
        super().__init__(message)
        self.expected = expected


def can_fork() -> bool:
    """Whether this platform can start a helper process."""
    return "fork" in multiprocessing.get_all_start_methods()


class Helper:
    """A forked process running ``work(send)``; iterate :meth:`messages` for what it sends.

    Use as a context manager: leaving it stops a helper that is still running (the parent
    failed), and always reaps it. ``work``'s return value is kept as :attr:`result`.
    """

    def __init__(self, work: Callable[[Send], Any], *, name: str, spool: bool = False) -> None:
        self.work, self.name, self.spool = work, name, spool
        self.result: Any = None
        self._process: Any = None
        self._receiver: Any = None
        self._file: Any = None

    def __enter__(self) -> Helper:
        context = multiprocessing.get_context("fork")
        if self.spool:
            self._file = tempfile.TemporaryFile(prefix="edx-schema-helper-")
            channel: Any = self._file.fileno()
        else:
            self._receiver, channel = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_run, args=(self.work, channel, self._receiver), name=self.name, daemon=True
        )
        self._process.start()
        if not self.spool:
            channel.close()  # the helper's end: closed here, so its exit ends a wait on the pipe
        return self

    def __exit__(self, *exc_info: object) -> None:
        process = self._process
        if process.is_alive():
            process.join(timeout=0 if self.spool else 5)
        if process.is_alive():
            process.terminate()
            process.join()
        for channel in (self._receiver, self._file):
            if channel is not None:
                channel.close()

    def wait(self) -> None:
        """Wait for the helper to finish."""
        self._process.join()

    def messages(self) -> Iterator[Any]:
        """What the helper sends, in order; HelperFailed if it raised or stopped early."""
        if self.spool:
            self.wait()
            self._file.seek(0)
            receive: Callable[[], bytes | None] = self._from_spool
        else:
            receive = self._from_pipe
        while True:
            data = receive()
            if data is None:
                raise HelperFailed(
                    f"the {self.name} process stopped unexpectedly (exit code {self._process.exitcode})"
                )
            kind, *rest = marshal.loads(data)
            if kind == "message":
                yield rest[0]
            elif kind == "error":
                message, expected = rest
                raise HelperFailed(message, expected=expected)
            else:  # done
                self.result = rest[0]
                return

    def _from_spool(self) -> bytes | None:
        try:
            return marshal.load(self._file)
        except (EOFError, ValueError):  # a helper killed in the middle of a message
            return None

    def _from_pipe(self) -> bytes | None:
        """The next message; None once the helper has stopped without sending one.

        Its end of the pipe closes when it exits (or is killed), which ends a wait here; its exit
        code is checked as well, in case another process inherited that end and keeps it open.
        """
        receiver, process = self._receiver, self._process
        while not receiver.poll(1.0):
            if process.exitcode is not None and not receiver.poll(0):
                return None
        try:
            return receiver.recv_bytes()
        except (EOFError, OSError):  # gone, or gone in the middle of a message
            process.join(timeout=5)
            return None


def _run(work: Callable[[Send], Any], channel: Any, parent_end: Any) -> None:
    """The helper process: run ``work``, send its messages, then its result or its error."""
    from django.db import connections

    # The parent's end of the pipe that fork copied here: closed, so that if the parent dies
    # (kill -9) this process gets a broken pipe instead of writing into nowhere.
    if parent_end is not None:
        parent_end.close()
    # The connections fork copied belong to the parent: forget them (closing them here could
    # disturb the parent's); work that reads the database opens its own.
    for connection in connections.all(initialized_only=True):
        connection.connection = None
    _fixed_mmap_threshold()
    if isinstance(channel, int):
        spool = os.fdopen(channel, "wb", closefd=False)

        def put(data: bytes) -> None:
            marshal.dump(data, spool)
    else:
        put = channel.send_bytes
    try:
        result = work(lambda message: put(marshal.dumps(("message", message))))
        put(marshal.dumps(("done", result)))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone
    except EdxSchemaError as error:
        with suppress(OSError):
            put(marshal.dumps(("error", str(error), True)))
    except Exception as error:  # not the input's fault: still a message, not a traceback
        with suppress(OSError):
            put(marshal.dumps(("error", unexpected(error), False)))
    finally:
        if isinstance(channel, int):
            with suppress(OSError):
                spool.flush()
        for connection in connections.all(initialized_only=True):
            connection.connection = None
        os._exit(0)  # no atexit handlers or finalizers of the parent's objects


def _fixed_mmap_threshold() -> None:
    """Keep glibc from raising its mmap threshold in the helper process.

    The helper allocates and frees a few large buffers per message (the marshalled rows). glibc
    then moves such buffers from mmap into the heap, where, interleaved with small objects, they
    fragment it: the loader's helper grew by about 100 MB per million rows. A fixed threshold
    keeps them in mmap, returned to the system when freed, and memory flat.
    """
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, 128 * 1024)


_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h


_PR_SET_PDEATHSIG = 1  # from linux/prctl.h


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process (a worker) when ``parent`` dies, even by ``kill -9``.

    A worker that outlived its import would go on loading, holding the database's locks, for
    no one. Linux only (elsewhere nothing happens). If the parent died before this ran, exit now.
    """
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
