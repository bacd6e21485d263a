"""The two course members of a package that are not tables: the course structure and the OLX export.

- ``{course}-course_structure-{site}-analytics.json``: a flat JSON object keyed by usage key,
  each block with ``category``, ``children`` and its own settings ``metadata``. Exactly one block
  is the course; walking children depth-first from it gives course order.
- ``{course}-course-{site}-analytics.xml.tar.gz``: the OLX export, whose
  ``policies/{url_name}/grading_policy.json`` holds the grading policy. The top folder's name
  varies, so ``course.xml`` is located rather than assumed.

Both are read in bounded memory whatever they hold: the structure block by block (each block's
settings wait in a temporary file until the outline's order is known), the export as a stream
keeping only its small policy files. JSON is held to :mod:`.jsondoc`'s rules. Text is UTF-8,
with or without a byte order mark; anything else (UTF-16 included) is refused as not UTF-8.

Pure: no Django import.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import lzma
import math
import re
import tarfile
import tempfile
import xml.etree.ElementTree as ElementTree
import zlib
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, BinaryIO, overload

from ..errors import FormatError, InvalidKeyFormatError, PackageError
from .jsondoc import decode, excerpt, json_path, loads, syntax, text_excerpt, utf8_error
from .values import usage_key_parser

#: One block's JSON text, at most (a block holds settings, not content: a few kB in practice).
MAX_BLOCK_CHARS = 1 << 20
#: Distinct usage keys in a structure, blocks and the children they name (large courses: ~20,000).
MAX_BLOCK_KEYS = 100_000
#: Child references in a whole structure.
MAX_CHILDREN = 1_000_000
#: Categories and settings of all the blocks, as spilled to a temporary file (the largest real
#: structures hold a few tens of MB): an inflated member must not fill the disk either.
MAX_SETTINGS_BYTES = 512 << 20
#: Levels below the course block (course, chapter, sequential, vertical, problem: 4).
MAX_OUTLINE_DEPTH = 100
#: A grading_policy.json's size, at most (a real one is about 1 kB).
MAX_POLICY_BYTES = 1 << 20
#: All the grading_policy.json files an export may hold, together (read before the one that
#: counts is known).
MAX_POLICIES_BYTES = 16 << 20
#: course.xml and grading_policy.json files an export may hold (a real one: one of each).
MAX_POLICY_FILES = 1_000
#: A tar header (long name, pax attributes) at most: tarfile reads one whole into memory.
MAX_TAR_HEADER_BYTES = 1 << 20
#: How much of course.xml is read to find its root element's ``url_name``.
_COURSE_XML_HEAD = 64 << 10

_INHERITED = ("graded", "format", "start", "due")  # settings children take from ancestors
_TEXT_LENGTHS = {"display_name": 255, "format": 255, "start": 64, "due": 64}  # as their columns store them
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_UTF8 = "; the file must be UTF-8 (a byte order mark is allowed)"


@dataclass
class Block:
    """One block of the outline, in course order (``position`` counts from 0 at the course)."""

    usage_key: str
    category: str
    parent: str | None
    position: int
    depth: int
    display_name: str
    metadata: dict[str, Any] = field(default_factory=dict)
    inherited: dict[str, Any] = field(default_factory=dict)

    @property
    def graded(self) -> bool:
        return bool(self.inherited.get("graded", False))

    @property
    def format(self) -> str:
        return self.inherited.get("format") or ""


class _Invalid(Exception):
    """A value of the wrong type in a block, at ``steps`` inside it; the reader adds the rest."""

    def __init__(self, steps: tuple[str | int, ...], message: str, value: Any) -> None:
        super().__init__(message)
        self.steps, self.message, self.value = steps, message, value


def weight_of(value: Any) -> float | None:
    """A block's ``weight`` as the LMS reads it (a number, a numeric string, or nothing).

    ValueError if it is none of these, or not finite.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a weight is a number")
    try:
        weight = float(value)
    except (ValueError, OverflowError):
        raise ValueError("a weight is a number") from None
    if not math.isfinite(weight):
        raise ValueError("a weight is a finite number")
    return weight


def _setting_text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        text = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)
    else:
        raise _Invalid(("metadata", name), f"{name} is text", excerpt(value))
    return text[: _TEXT_LENGTHS[name]] if text is not None else None


def _graded(value: Any) -> bool | None:
    """``graded`` as XBlock's Boolean field reads it: a boolean, "true"/"false", or a number."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    if isinstance(value, int | float):
        return bool(value)
    raise _Invalid(("metadata", "graded"), "graded is true or false", excerpt(value))


def _settings(metadata: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A block's display name and the settings its children inherit, checked for their types.

    Text comes cut to the length its column stores.
    """
    own: dict[str, Any] = {}
    for name in _INHERITED:
        if name in metadata:
            value = metadata[name]
            own[name] = _graded(value) if name == "graded" else _setting_text(value, name)
    try:
        weight_of(metadata.get("weight"))
    except ValueError as error:
        raise _Invalid(("metadata", "weight"), str(error), excerpt(metadata.get("weight"))) from None
    return _setting_text(metadata.get("display_name"), "display_name") or "", own


def _parts(block: Any) -> tuple[str, list[str], dict[str, Any]]:
    """A block's category, children and metadata, checked for their types (missing: empty)."""
    if not isinstance(block, dict):
        raise _Invalid((), "a block is a JSON object with category, children and metadata", excerpt(block))
    category = block.get("category")
    if category is None:
        category = ""
    elif not isinstance(category, str):
        raise _Invalid(("category",), "category is text", excerpt(category))
    children = block.get("children")
    if children is None:
        children = []
    elif not isinstance(children, list):
        raise _Invalid(("children",), "children is a list of usage keys", excerpt(children))
    for index, child in enumerate(children):
        if not isinstance(child, str):
            raise _Invalid(("children", index), "a child is a usage key", excerpt(child))
    metadata = block.get("metadata")
    if metadata is None:
        metadata = {}
    elif not isinstance(metadata, dict):
        raise _Invalid(("metadata",), "metadata is a JSON object", excerpt(metadata))
    return category, children, metadata


class _Window:
    """A bounded window of a binary stream's text, decoded as UTF-8 (optional BOM) as it is read.

    Holds at most about two ``size``s of text: consumed text is dropped at every refill.
    """

    def __init__(self, stream: BinaryIO, *, label: str, size: int) -> None:
        self.stream, self.label, self.size = stream, label, size
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.position = 0
        self.line = 1  # the line of text[position]
        self.origin = 0  # where text[0] is in the whole text
        self.line_start = 0  # where the line of text[position] starts in the whole text
        self.eof = False
        self.bytes_read = 0

    def fill(self) -> bool:
        """Read on; False at the end of the stream."""
        if self.eof:
            return False
        data = self.stream.read(self.size)
        pending = self.decoder.getstate()[0]  # the start of a character cut by the last read
        try:
            more = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            line = self.line + self.text.count("\n", self.position)
            offset = self.bytes_read - len(pending)
            raise utf8_error(error, file=self.label, line=line, offset=offset, advice=_UTF8) from None
        self.bytes_read += len(data)
        self.eof = not data
        self.origin += self.position
        self.text = self.text[self.position :] + more
        self.position = 0
        return True

    def ahead(self, count: int) -> None:
        """Make ``count`` characters past the position available, or all that is left."""
        while len(self.text) - self.position < count and self.fill():
            pass

    def advance(self, end: int) -> None:
        newlines = self.text.count("\n", self.position, end)
        if newlines:
            self.line += newlines
            self.line_start = self.origin + self.text.rfind("\n", self.position, end) + 1
        self.position = end

    def line_column(self, at: int) -> tuple[int, int]:
        """The line and column of ``text[at]`` (at or after the position)."""
        newlines = self.text.count("\n", self.position, at)
        if not newlines:
            return self.line, self.origin + at - self.line_start + 1
        return self.line + newlines, at - self.text.rfind("\n", self.position, at)

    def skip_space(self) -> str:
        """Skip JSON whitespace, reading on as needed; the next character, or '' at the end."""
        while True:
            self.advance(_JSON_SPACE.match(self.text, self.position).end())
            if self.position < len(self.text) or not self.fill():
                return self.text[self.position : self.position + 1]

    def error(self, message: str, **where: Any) -> FormatError:
        where.setdefault("value", text_excerpt(self.text, self.position))
        return FormatError(message, file=self.label, line=self.line, **where)

    def value(self, *, path: str) -> Any:
        """Decode the JSON value at the position, at most MAX_BLOCK_CHARS long, and move past it."""
        # Past the limit, a little more: an error in the last few characters of the window (within
        # "false" or "\\u00e9") is the window's end, not the block's.
        self.ahead(MAX_BLOCK_CHARS + 16)
        too_long = f"a block longer than {MAX_BLOCK_CHARS:,} characters of JSON, the limit for one block"
        try:
            value, end = decode(self.text, self.position, file=self.label, line=self.line, path=path, level=1)
        except json.JSONDecodeError as error:
            cut_short = error.pos >= len(self.text) - 8 or error.msg.startswith("Unterminated string")
            if cut_short and not self.eof:  # the window holds the limit and more, and the value goes on
                raise self.error(too_long, path=path) from None
            line, column = self.line_column(error.pos)
            raise FormatError(
                f"not a course structure JSON file ({syntax(error, column)})",
                file=self.label,
                line=line,
                value=text_excerpt(self.text, max(error.pos - 20, 0)),
            ) from None
        if end - self.position > MAX_BLOCK_CHARS:
            raise self.error(too_long, path=path)
        self.advance(end)
        return value


def _members(window: _Window) -> Iterator[tuple[str, int, Any]]:
    """The structure's (usage key, line, block) pairs, one at a time, as the file holds them."""
    shape = "a course structure is a JSON object of blocks keyed by usage key"
    if window.skip_space() != "{":
        raise window.error(f"not a course structure JSON file: {shape}")
    window.advance(window.position + 1)
    following = False
    while (char := window.skip_space()) != "}":
        if following:
            if char != ",":
                raise window.error(f"expected ',' or '}}' after a block: {shape}")
            window.advance(window.position + 1)
            char = window.skip_space()
        if char != '"':
            raise window.error(f"expected a block's usage key (a JSON string): {shape}")
        line = window.line
        key = window.value(path="$")
        if window.skip_space() != ":":
            raise window.error(f"expected ':' after a block's usage key: {shape}", path=json_path("$", key))
        window.advance(window.position + 1)
        window.skip_space()
        yield key, line, window.value(path=json_path("$", key))
        following = True
    window.advance(window.position + 1)
    if window.skip_space():
        raise window.error("text after the end of the course structure's JSON object")


class Outline(Sequence[Block]):
    """The blocks of a course structure in course order (see :func:`read_course_structure`).

    Only the outline's shape (keys, children, order) is held in memory; each block's category
    and settings wait in an anonymous temporary file and are read back as the block is reached,
    so memory stays bounded however large the structure. The file has no name from the start:
    nothing outlives the process, even one killed.
    """

    def __init__(
        self,
        *,
        names: list[str],
        spans: array,
        order: array,
        parents: array,
        depths: array,
        reached: int,
        spill: Any,
    ) -> None:
        self._names, self._spans, self._spill = names, spans, spill
        self._order, self._parents, self._depths, self._reached = order, parents, depths, reached

    def __len__(self) -> int:
        return len(self._order)

    def _record(self, position: int) -> tuple[str, dict[str, Any]]:
        node = self._order[position]
        self._spill.seek(self._spans[2 * node])
        category, metadata = json.loads(self._spill.read(self._spans[2 * node + 1]))
        return category, metadata

    def _block(self, position: int, category: str, metadata: dict[str, Any], inherited: dict) -> Block:
        parent = self._parents[position]
        return Block(
            usage_key=self._names[self._order[position]],
            category=category,
            parent=self._names[self._order[parent]] if parent >= 0 else None,
            position=position,
            depth=self._depths[position],
            display_name=_settings(metadata)[0],
            metadata=metadata,
            inherited=inherited,
        )

    @overload
    def __getitem__(self, index: int) -> Block: ...

    @overload
    def __getitem__(self, index: slice) -> list[Block]: ...

    def __getitem__(self, index: int | slice) -> Block | list[Block]:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        position = range(len(self))[index]
        inherited: dict[str, Any] = {}
        if position < self._reached:  # inherit along the path from the course
            path = [position]
            while self._parents[path[-1]] >= 0:
                path.append(self._parents[path[-1]])
            for step in reversed(path):
                inherited = {**inherited, **_settings(self._record(step)[1])[1]}
        return self._block(position, *self._record(position), inherited)

    def __iter__(self) -> Iterator[Block]:
        inherited: list[dict[str, Any]] = []  # along the path from the course to the current block
        for position in range(len(self)):
            category, metadata = self._record(position)
            if position < self._reached:
                depth = self._depths[position]
                del inherited[depth:]
                own = _settings(metadata)[1]
                above = inherited[-1] if inherited else {}
                inherited.append({**above, **own} if own else above)
                yield self._block(position, category, metadata, dict(inherited[-1]))
            else:  # not in the course: inherits nothing
                yield self._block(position, category, metadata, {})

    def close(self) -> None:
        """Drop the temporary file (also done when the outline is garbage collected)."""
        self._spill.close()

    def __enter__(self) -> Outline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_course_structure(stream: BinaryIO, *, label: str) -> Outline:
    """The blocks reachable from the course block, depth first in course order.

    A block reached twice (the structure is a DAG) keeps its first position and parent. Blocks
    that no path reaches are appended at the end, in key order, with no parent and nothing
    inherited. Children that name no block are skipped. A block id that is not a usage key, a
    value of the wrong type, a block longer than MAX_BLOCK_CHARS, more than MAX_BLOCK_KEYS keys,
    MAX_CHILDREN children, MAX_SETTINGS_BYTES of settings or MAX_OUTLINE_DEPTH levels:
    FormatError naming the block.
    """
    check_key = usage_key_parser(max_length=255, nullable=False)
    ids: dict[str, int] = {}  # every usage key seen, as a block or as a child
    names: list[str] = []
    spans = array("q")  # per id: offset and length of its record in the spill (-1: not a block)
    lines = array("q")  # per id: the line its block starts on
    children: list[array | None] = []
    roots: list[int] = []
    references = spilled = 0
    spill = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the Outline returned

    def id_of(key: str, line: int) -> int:
        found = ids.get(key)
        if found is None:
            if len(names) >= MAX_BLOCK_KEYS:
                raise FormatError(
                    f"more than {MAX_BLOCK_KEYS:,} usage keys (blocks and the children they name), "
                    "the limit for a course structure",
                    file=label,
                    line=line,
                    value=key,
                )
            found = ids[key] = len(names)
            names.append(key)
            spans.extend((-1, 0))
            lines.append(0)
            children.append(None)
        return found

    try:
        for key, line, block in _members(_Window(stream, label=label, size=MAX_BLOCK_CHARS)):
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
            try:
                category, kids, metadata = _parts(block)
                _settings(metadata)
            except _Invalid as error:
                where = json_path("$", key, *error.steps)
                raise FormatError(
                    error.message, file=label, line=line, path=where, value=error.value
                ) from None
            node = id_of(key, line)
            if spans[2 * node] >= 0:
                raise FormatError(
                    f"the block appears twice (first on line {lines[node]})",
                    file=label,
                    line=line,
                    path=json_path("$", key),
                )
            references += len(kids)
            if references > MAX_CHILDREN:
                raise FormatError(
                    f"more than {MAX_CHILDREN:,} children in all, the limit for a course structure",
                    file=label,
                    line=line,
                    path=json_path("$", key),
                )
            # A child longer than a key's column cannot name a block: skipped like one naming none.
            children[node] = array("l", (id_of(kid, line) for kid in kids if len(kid) <= 255))
            record = json.dumps([category, metadata], ensure_ascii=False).encode("utf-8")
            if spilled + len(record) > MAX_SETTINGS_BYTES:
                raise FormatError(
                    f"more than {MAX_SETTINGS_BYTES:,} bytes of block settings, "
                    "the limit for a course structure",
                    file=label,
                    line=line,
                    path=json_path("$", key),
                )
            spans[2 * node], spans[2 * node + 1] = spilled, len(record)
            spilled += spill.write(record)
            lines[node] = line
            if category == "course":
                roots.append(node)
        if len(roots) != 1:
            raise FormatError(
                f"expected exactly one block of category 'course', found {len(roots)}",
                file=label,
                value=", ".join(names[node] for node in roots[:3]) or None,
            )
        order, parents, depths, reached = _course_order(roots[0], spans, children, names, lines, label)
    except BaseException:
        spill.close()
        raise
    return Outline(
        names=names, spans=spans, order=order, parents=parents, depths=depths, reached=reached, spill=spill
    )


def _course_order(
    root: int, spans: array, children: list[array | None], names: list[str], lines: array, label: str
) -> tuple[array, array, array, int]:
    """Course order: ids by position, each one's parent position (-1: none) and depth, and how
    many the course reaches (depth first, pre-order; the unreached follow in key order).

    Iterative, one frame per level, so a deep or wide outline costs no recursion and no more
    than its own size.
    """
    seen = bytearray(len(names))
    order, parents, depths = array("l", [root]), array("l", [-1]), array("l", [0])
    seen[root] = 1
    frames = [[root, 0, 0]]  # id, next child index, position
    while frames:
        frame = frames[-1]
        node, index, position = frame
        kids = children[node] or ()
        while index < len(kids) and (seen[kids[index]] or spans[2 * kids[index]] < 0):
            index += 1
        if index == len(kids):
            frames.pop()
            continue
        frame[1] = index + 1
        child = kids[index]
        if len(frames) > MAX_OUTLINE_DEPTH:
            raise FormatError(
                f"the outline is more than {MAX_OUTLINE_DEPTH} levels deep below the course, the limit",
                file=label,
                line=lines[child],
                path=json_path("$", names[child]),
            )
        seen[child] = 1
        frames.append([child, 0, len(order)])
        order.append(child)
        parents.append(position)
        depths.append(len(frames) - 1)
    reached = len(order)
    unreached = sorted(
        (node for node in range(len(names)) if spans[2 * node] >= 0 and not seen[node]), key=names.__getitem__
    )
    order.extend(unreached)
    parents.extend([-1] * len(unreached))
    depths.extend([0] * len(unreached))
    return order, parents, depths, reached


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header that refuses a long name or pax record over MAX_TAR_HEADER_BYTES.

    tarfile reads such a record whole into memory, whatever size its header claims.
    """

    def _refuse_large(self) -> None:
        if self.size > MAX_TAR_HEADER_BYTES:
            raise PackageError(
                f"a tar header record of {self.size:,} bytes, more than the limit of {MAX_TAR_HEADER_BYTES:,}"
            )

    def _proc_gnulong(self, tarfile):  # type: ignore[no-untyped-def]
        self._refuse_large()
        return super()._proc_gnulong(tarfile)

    def _proc_pax(self, tarfile):  # type: ignore[no-untyped-def]
        self._refuse_large()
        return super()._proc_pax(tarfile)


class _Rejoined(io.RawIOBase):
    """The bytes already read from a stream, then the rest of it."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            count = min(len(buffer), len(self.head))
            buffer[:count], self.head = self.head[:count], self.head[count:]
            return count
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _decompressed(stream: BinaryIO) -> BinaryIO:
    """The tar inside a gzip, bzip2 or xz stream (or a plain tar).

    These file classes decompress a bounded amount at a time; tarfile's own ``r|*`` decompresses
    each compressed chunk whole, which a bzip2 chunk can inflate to gigabytes.
    """
    head = stream.read(6)
    joined = io.BufferedReader(_Rejoined(head, stream))
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=joined, mode="rb")  # type: ignore[return-value]
    if head.startswith(b"BZh"):
        return bz2.BZ2File(joined)  # type: ignore[return-value]
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(joined)  # type: ignore[return-value]
    return joined  # type: ignore[return-value]


def _url_name(head: bytes) -> str | None:
    """The ``url_name`` of course.xml's root element, from the start of the file."""
    parser = ElementTree.XMLPullParser(events=("start",))
    try:
        parser.feed(head)
        for _event, element in parser.read_events():
            return element.get("url_name")
    except ElementTree.ParseError:
        pass
    return None


def policy_text(data: bytes, *, file: str) -> str:
    """A grading_policy.json's text: UTF-8 (a BOM allowed), at most MAX_POLICY_BYTES, valid JSON.

    UTF-16 and other encodings are refused with a message that says the file is not UTF-8.
    """
    if len(data) > MAX_POLICY_BYTES:
        raise FormatError(
            f"larger than {MAX_POLICY_BYTES:,} bytes, the limit for a grading policy", file=file
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise FormatError(
            "not UTF-8 text: it holds NUL bytes or a UTF-16 byte order mark (UTF-16?)" + _UTF8,
            file=file,
            line=data.count(b"\n", 0, max(data.find(b"\x00"), 0)) + 1,
            value=data[:20].decode("utf-8", "backslashreplace"),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise utf8_error(error, file=file, line=1, advice=_UTF8) from None
    loads(text, file=file)  # held to jsondoc's rules, with line and JSON path in any error
    return text


def read_grading_policy(stream: BinaryIO, *, label: str) -> str | None:
    """The text of the OLX export's grading_policy.json, or None if the export has none.

    The file is ``policies/{url_name}/grading_policy.json`` beside ``course.xml`` (whose
    ``url_name`` names the folder); the LMS falls back to a top-level ``grading_policy.json``.
    The policy is checked by :func:`policy_text`.
    """
    urls: dict[str, str | None] = {}  # course.xml → url_name of its root element
    policies: dict[str, bytes] = {}
    kept = 0
    try:
        with tarfile.open(fileobj=_decompressed(stream), mode="r|", tarinfo=_BoundedTarInfo) as archive:
            while (member := archive.next()) is not None:
                archive.members.clear()  # streamed: tarfile would otherwise keep every header
                path = str(PurePosixPath(member.name))
                name = PurePosixPath(path).name
                if (
                    not member.isfile()
                    or name not in ("course.xml", "grading_policy.json")
                    or len(path) > 4096
                ):
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                if len(urls) + len(policies) >= MAX_POLICY_FILES:
                    raise PackageError(
                        f"more than {MAX_POLICY_FILES:,} course.xml and grading_policy.json files, the limit"
                    )
                if name == "course.xml":
                    urls[path] = _url_name(handle.read(_COURSE_XML_HEAD))
                    continue
                # Only the first bytes past the limit: enough for policy_text to refuse it.
                data = handle.read(MAX_POLICY_BYTES + 1)
                kept += len(data)
                if kept > MAX_POLICIES_BYTES:
                    raise PackageError(
                        f"more than {MAX_POLICIES_BYTES:,} bytes of grading_policy.json files, the limit"
                    )
                policies[path] = data
    except PackageError as error:
        raise PackageError(f"{label}: {error}") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as error:
        raise PackageError(f"{label}: not a readable course export (.tar.gz): {error}") from None
    for course_xml in sorted(urls, key=len):
        top = PurePosixPath(course_xml).parent
        url_name = urls[course_xml]
        candidates = [top / "policies" / url_name / "grading_policy.json"] if url_name else []
        candidates.append(top / "grading_policy.json")
        for candidate in map(str, candidates):
            if candidate in policies:
                return policy_text(policies[candidate], file=f"{label}/{candidate}")
    return None
