"""Worker processes die with the import that started them, even when it is killed with kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A parent that forks a worker (which asks to die with it), prints the worker's pid and waits.
PARENT = textwrap.dedent(
    """
    import os, sys, time
    from edx_schema.helper_process import die_with_parent
    parent = os.getpid()
    worker = os.fork()
    if worker == 0:
        die_with_parent(parent)
        time.sleep(60)
        os._exit(0)
    print(worker, flush=True)
    time.sleep(60)
    """
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_worker_dies_when_its_parent_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    try:
        worker = int(parent.stdout.readline())
        time.sleep(0.2)  # the worker has asked by now
        assert _alive(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker)
    finally:
        parent.kill()
        parent.stdout.close()


def test_a_worker_whose_parent_is_already_gone_exits_at_once():
    script = textwrap.dedent(
        """
        import os
        from edx_schema.helper_process import die_with_parent
        die_with_parent(os.getppid() + 1_000_000)  # not its parent: as if the parent had died
        print("still here")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout == ""
