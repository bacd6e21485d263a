"""Peak memory of a piece of code, run in a fresh interpreter so that nothing else counts.

The peak is the process's VmHWM (Linux): ``ru_maxrss`` would not do, as it survives ``exec``
and so starts at the size of the pytest process that forked the interpreter.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: A stream generated as it is read, so that a test input of any size costs no memory itself.
GENERATED = '''
import io

class Generated(io.RawIOBase):
    """The bytes of an iterable of chunks, produced as they are read."""

    def __init__(self, chunks):
        self.chunks, self.pending, self.offset = iter(chunks), b"", 0

    def readable(self):
        return True

    def readinto(self, buffer):
        while self.offset == len(self.pending):
            self.pending, self.offset = next(self.chunks, None), 0
            if self.pending is None:
                self.pending = b""
                return 0
        count = min(len(buffer), len(self.pending) - self.offset)
        buffer[:count] = memoryview(self.pending)[self.offset : self.offset + count]
        self.offset += count
        return count

def generated(chunks):
    return io.BufferedReader(Generated(chunks), 1 << 20)
'''


PEAK = """
with open("/proc/self/status") as status:
    print("peak", next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024)
"""


def peak_megabytes(code: str) -> tuple[float, str]:
    """Run ``code`` (which may use ``generated(chunks)``) and return its peak RSS in MB and its output."""
    program = GENERATED + textwrap.dedent(code) + PEAK
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    *output, peak = done.stdout.strip().splitlines()
    return float(peak.split()[1]), "\n".join(output)
