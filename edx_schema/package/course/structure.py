"""The course structure member, ``{course}-course_structure-{site}-analytics.json``: its blocks.

A flat JSON object keyed by usage key, each block with ``category``, ``children`` and its own
settings ``metadata``. One block is the course; walking children depth-first from it gives
course order. Real files exist that hold only a fragment of a structure, without the course
block: those load too, with a warning (see :func:`read_course_structure`).

Read block by block in bounded memory whatever it holds (each block's settings wait in a
temporary file until the outline's order is known). JSON is held to :mod:`..jsondoc`'s rules.

Pure: no Django import.
"""

from __future__ import annotations

import json
import tempfile
from array import array
from typing import Any, BinaryIO

from ...errors import FormatError, InvalidKeyFormatError, shown
from ..jsondoc import json_path
from ..values import usage_key_parser
from .blocks import Invalid, parts, settings
from .json_window import Window, blocks_of
from .outline import Outline, course_order

#: One block's JSON text, at most (a block holds settings, not content: a few kB in practice).
MAX_BLOCK_CHARS = 1 << 20
#: Distinct usage keys in a structure, blocks and the children they name (large courses: ~20,000).
MAX_BLOCK_KEYS = 100_000
#: Child references in a whole structure.
MAX_CHILDREN = 1_000_000
#: Categories and settings of all the blocks, as spilled to a temporary file (the largest real
#: structures hold a few tens of MB): an inflated member must not fill the disk either.
MAX_SETTINGS_BYTES = 512 << 20


class _Blocks:
    """The structure as read so far: every usage key seen (as a block or as a child) by id."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.spans = array("q")  # per id: offset and length of its record in the spill (-1: not a block)
        self.lines = array("q")  # per id: the line its block starts on
        self.children: list[array | None] = []
        self.roots: list[int] = []  # blocks of category "course"
        self.references = self.spilled = 0

    def id_of(self, key: str, line: int) -> int:
        found = self.ids.get(key)
        if found is None:
            if len(self.names) >= MAX_BLOCK_KEYS:
                raise FormatError(
                    f"more than {MAX_BLOCK_KEYS:,} usage keys (blocks and the children they name), "
                    "the limit for a course structure",
                    file=self.label,
                    line=line,
                    value=key,
                )
            found = self.ids[key] = len(self.names)
            self.names.append(key)
            self.spans.extend((-1, 0))
            self.lines.append(0)
            self.children.append(None)
        return found

    def add(self, key: str, line: int, block: Any, spill: Any) -> None:
        """Check one block and note it; its category and settings go to ``spill``."""
        try:
            category, kids, metadata = parts(block)
            settings(metadata)
        except Invalid as error:
            path = json_path("$", key, *error.steps)
            raise FormatError(
                error.message, file=self.label, line=line, path=path, value=error.value
            ) from None
        node = self.id_of(key, line)
        if self.spans[2 * node] >= 0:
            raise self._error(f"the block appears twice (first on line {self.lines[node]})", key, line)
        self.references += len(kids)
        if self.references > MAX_CHILDREN:
            limit = f"more than {MAX_CHILDREN:,} children in all, the limit for a course structure"
            raise self._error(limit, key, line)
        # A child longer than a key's column cannot name a block: skipped like one naming none.
        self.children[node] = array("l", (self.id_of(kid, line) for kid in kids if len(kid) <= 255))
        record = json.dumps([category, metadata], ensure_ascii=False).encode("utf-8")
        if self.spilled + len(record) > MAX_SETTINGS_BYTES:
            limit = (
                f"more than {MAX_SETTINGS_BYTES:,} bytes of block settings, the limit for a course structure"
            )
            raise self._error(limit, key, line)
        self.spans[2 * node], self.spans[2 * node + 1] = self.spilled, len(record)
        self.spilled += spill.write(record)
        self.lines[node] = line
        if category == "course":
            self.roots.append(node)

    def _error(self, message: str, key: str, line: int) -> FormatError:
        return FormatError(message, file=self.label, line=line, path=json_path("$", key))

    def blocks(self) -> list[int]:
        """The ids of the blocks (not of children that name none), in the order the file holds them."""
        return sorted(
            (node for node in range(len(self.names)) if self.spans[2 * node] >= 0), key=self.lines.__getitem__
        )


def read_course_structure(stream: BinaryIO, *, label: str) -> Outline:
    """The blocks reachable from the course block, depth first in course order.

    A block reached twice (the structure is a DAG) keeps its first position and parent. Blocks
    that no path reaches are appended at the end, in key order, with no parent and nothing
    inherited. Children that name no block are skipped. The outline's ``course_id`` is the
    course block's course.

    A fragment, a structure without a course block, is read from each block that no block names
    as a child (in key order, each with no parent, at depth 0, inheriting nothing from the
    ancestors the file lacks); its ``course_id`` is the course every block's usage key names,
    and its ``warnings`` say that it is a fragment.

    FormatError naming the block: a block id that is not a usage key, a value of the wrong type,
    a block longer than MAX_BLOCK_CHARS, more than MAX_BLOCK_KEYS keys, MAX_CHILDREN children,
    MAX_SETTINGS_BYTES of settings or MAX_OUTLINE_DEPTH levels, two course blocks, a fragment's
    block of another course than the others'. FormatError naming the file: no block at all, a
    course block whose key gives no course key.
    """
    check_key = usage_key_parser(max_length=255, nullable=False)
    read = _Blocks(label)
    spill = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the Outline returned
    try:
        for key, line, block in blocks_of(Window(stream, label=label, size=MAX_BLOCK_CHARS)):
            try:
                check_key(key)
            except ValueError as error:
                raise InvalidKeyFormatError(
                    f"the block's id is {error}",
                    file=label,
                    line=line,
                    path=json_path("$", key),
                    value=key,
                    key_type="usage key",
                ) from None
            read.add(key, line, block, spill)
        if len(read.roots) > 1:
            raise FormatError(
                f"expected one block of category 'course' at most, found {len(read.roots)}",
                file=label,
                value=", ".join(read.names[node] for node in read.roots[:3]),
            )
        blocks = read.blocks()
        if not blocks:
            raise FormatError("the course structure holds no blocks", file=label)
        if read.roots:
            root = read.names[read.roots[0]]
            course_id, tops, warnings = _course_of_root(root, label=label), read.roots, []
        else:
            root = None
            course_id, warnings = _fragment_course(read, blocks)
            named = bytearray(len(read.names))  # named as a child by some block
            for kids in read.children:
                for kid in kids or ():
                    named[kid] = 1
            tops = sorted((node for node in blocks if not named[node]), key=read.names.__getitem__)
        order = course_order(tops, read.spans, read.children, read.names, read.lines, label)
    except BaseException:
        spill.close()
        raise
    return Outline(
        names=read.names,
        spans=read.spans,
        course_order=order,
        spill=spill,
        course_id=course_id,
        root=root,
        warnings=warnings,
    )


def _course_of_root(usage_key: str, *, label: str) -> str:
    """The course key of a course block's usage key (legacy i4x keys carry the run as block id)."""
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import UsageKey

    try:
        key = UsageKey.from_string(usage_key)
        course = key.course_key
        if getattr(course, "run", None) is None:  # i4x://O/C/course/R:x gives no run R:x
            course = course.replace(run=key.block_id)
        return str(course)
    except (InvalidKeyError, ValueError, TypeError):
        raise FormatError(
            f"the course block's key {shown(usage_key)} gives no course key", file=label
        ) from None


def _fragment_course(read: _Blocks, blocks: list[int]) -> tuple[str | None, list[str]]:
    """The course every block of a fragment belongs to, and the warnings the fragment gets.

    The course is None if the blocks' legacy i4x keys do not say its run. FormatError naming the
    first block (in file order) of another course than the first block's, or of a content library.
    """
    from opaque_keys.edx.keys import UsageKey
    from opaque_keys.edx.locator import CourseLocator

    label, first, first_node = read.label, None, blocks[0]
    for node in blocks:
        key = read.names[node]
        course = UsageKey.from_string(key).course_key  # checked as the block was read
        where: dict[str, Any] = {
            "file": label,
            "line": read.lines[node],
            "path": json_path("$", key),
            "value": key,
        }
        if not isinstance(course, CourseLocator):
            raise FormatError("the block is a content library's, not a course's", **where)
        if first is None:
            first = course
        elif course != first:
            raise FormatError(
                f"the block is of another course than the block on line {read.lines[first_node]} "
                f"({shown(read.names[first_node])}): a fragment of a course structure is of one course",
                **where,
            )
    warnings = [
        f"{label}: no block of category 'course', so a fragment of a course structure: its "
        f"{len(blocks):,} blocks are loaded, and those no block names as a child have no parent"
    ]
    if first is None or first.run is None:  # i4x://O/C/problem/x: the course's run is in no key
        warnings.append(
            f"{label}: the fragment's legacy keys (such as {shown(read.names[first_node])}) "
            "do not say the course's run"
        )
        return None, warnings
    return str(first), warnings
