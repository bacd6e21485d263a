"""Inflated members: hundreds of MiB that compress to almost nothing, written straight into a zip.

Each writer streams its member into the zip in chunks, so the test process never holds one, and
the package on disk stays small. A reader that holds such a line or document whole needs more
memory than the limit (issue 12, item 7); the quick profile's size is ``FUZZ_INFLATE_MB``.
"""

from __future__ import annotations

import io
import json
import tarfile
import zlib
from collections.abc import Callable
from typing import BinaryIO

CHUNK = 1 << 20

Writer = Callable[[BinaryIO, bytes, int], None]


def _repeat(out: BinaryIO, unit: bytes, size: int) -> None:
    block = unit * max(1, CHUNK // len(unit))
    while size > 0:
        piece = block[:size]
        out.write(piece)
        size -= len(piece)


def _split_record(data: bytes) -> tuple[bytes, bytes]:
    """The member's header line and first record up to its second field, and the rest."""
    header, _, rest = data.partition(b"\n")
    first_field, _, rest = rest.partition(b"\t")
    return header + b"\n" + first_field + b"\t", rest


def tsv_huge_field(out: BinaryIO, data: bytes, size: int) -> None:
    """One field of ``size`` bytes: a single line that long."""
    head, tail = _split_record(data)
    out.write(head)
    _repeat(out, b"a", size)
    out.write(tail)


def tsv_escaped_lines(out: BinaryIO, data: bytes, size: int) -> None:
    """One record of ``size`` bytes made of escaped newlines: one record, millions of lines."""
    head, tail = _split_record(data)
    out.write(head)
    _repeat(out, b"a\\\n", size)
    out.write(tail)


def tsv_many_fields(out: BinaryIO, data: bytes, size: int) -> None:
    """A record of ``size`` TABs: millions of fields."""
    out.write(data.partition(b"\n")[0] + b"\n")
    _repeat(out, b"\t", size)
    out.write(b"\n")


def tsv_trailing_blank_lines(out: BinaryIO, data: bytes, size: int) -> None:
    """The member as it is, then blank lines (a valid file: it must load).

    At most 40 MiB of them (each is a line to iterate), but more than the 32 MiB from which
    SQLite parses a member in a helper process.
    """
    out.write(data)
    _repeat(out, b"\n", min(size, 40 << 20))


def csv_huge_field(out: BinaryIO, data: bytes, size: int) -> None:
    """The opt-in list with a first record whose full_name is ``size`` bytes: one line that long."""
    header, _, rest = data.partition(b"\n")
    first, _, rest = rest.partition(b"\n")
    fields = first.split(b",")
    out.write(header + b"\n" + b",".join(fields[:3]) + b",")
    _repeat(out, b"a", size)
    out.write(b"," + b",".join(fields[4:]) + b"\n" + rest)


def json_padded(out: BinaryIO, data: bytes, size: int) -> None:
    """The course structure with ``size`` spaces inside it."""
    out.write(data[:1])
    _repeat(out, b" ", size)
    out.write(data[1:])


def json_many_blocks(out: BinaryIO, data: bytes, size: int) -> None:
    """A valid course structure of about ``min(size, 64 MiB)`` bytes: tens of thousands of blocks."""
    structure = json.loads(data)
    course_key = next(k for k, b in structure.items() if b.get("category") == "course")
    prefix = course_key.split("+type@")[0]
    filler = "x" * 900
    count = min(size, 64 << 20) // 1_000
    children = [f"{prefix}+type@html+block@h{i}" for i in range(count)]
    structure[course_key]["children"] = structure[course_key].get("children", []) + children
    text = json.dumps(structure)
    out.write(text[:-1].encode())
    for child in children:
        out.write(b", " + json.dumps(child).encode() + b': {"category": "html", "children": [], ')
        out.write(b'"metadata": {"display_name": "' + filler.encode() + b'"}}')
    out.write(b"}")


def mongo_huge_line(out: BinaryIO, data: bytes, size: int) -> None:
    """A forum post whose body is ``size`` bytes: one line that long."""
    first = data.partition(b"\n")[0]
    document = json.loads(first)
    head, _, tail = json.dumps({**document, "body": "\u0000"}).partition('"\\u0000"')
    out.write(head.encode() + b'"')
    _repeat(out, b"a", size)
    out.write(b'"' + tail.encode() + b"\n")


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


class _Gzip(io.RawIOBase):
    """A write-only stream that gzips into ``out`` (tarfile's streaming mode writes through it)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.compressor = zlib.compressobj(1, zlib.DEFLATED, 31)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.out.write(self.compressor.compress(bytes(data)))
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.out.write(self.compressor.flush())
        super().close()


def olx_zeros(out: BinaryIO, data: bytes, size: int) -> None:
    """The OLX export with a file of ``size`` zero bytes before its course.xml (a tar bomb)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as source:
        files = [(info, source.extractfile(info).read() if info.isfile() else None) for info in source]
    top = files[0][0].name.split("/")[0]
    gz = _Gzip(out)
    with tarfile.open(fileobj=gz, mode="w|") as archive:
        big = tarfile.TarInfo(f"{top}/static/zeros.bin")
        big.size = size
        archive.addfile(big, io.BufferedReader(_Zeros(size)))
        for info, content in files:
            archive.addfile(info, io.BytesIO(content) if content is not None else None)
    gz.close()


#: name -> (the member kind it replaces, the writer).
INFLATED: dict[str, tuple[str, Writer]] = {
    "tsv_huge_field": ("auth_user", tsv_huge_field),
    "tsv_escaped_lines": ("auth_userprofile", tsv_escaped_lines),
    "tsv_many_fields": ("student_courseenrollment", tsv_many_fields),
    "tsv_trailing_blank_lines": ("auth_user", tsv_trailing_blank_lines),
    # A join member: its rows go through a temporary table, not the table's own load.
    "tsv_escaped_lines_joined": ("django_comment_client_role_users", tsv_escaped_lines),
    "csv_huge_field": ("email_opt_in", csv_huge_field),
    "json_padded": ("course_structure", json_padded),
    "json_many_blocks": ("course_structure", json_many_blocks),
    "mongo_huge_line": ("forum", mongo_huge_line),
    "olx_zeros": ("course_olx", olx_zeros),
}
