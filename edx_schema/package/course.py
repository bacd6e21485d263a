"""The two course members of a package that are not tables: the course structure and the OLX export.

- ``{course}-course_structure-{site}-analytics.json``: a flat JSON object keyed by usage key,
  each block with ``category``, ``children`` and its own settings ``metadata``. Exactly one block
  is the course; walking children depth-first from it gives course order.
- ``{course}-course-{site}-analytics.xml.tar.gz``: the OLX export, whose
  ``policies/{url_name}/grading_policy.json`` holds the grading policy. The top folder's name
  varies, so ``course.xml`` is located rather than assumed.

Pure: no Django import.
"""

from __future__ import annotations

import json
import tarfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from ..errors import PackageError

_INHERITED = ("graded", "format", "start", "due")  # settings children take from ancestors


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


def read_course_structure(stream: BinaryIO, *, label: str) -> list[Block]:
    """The blocks reachable from the course block, depth first in course order.

    A block reached twice (the structure is a DAG) keeps its first position and parent. Blocks
    that no path reaches are appended at the end, in key order, with no parent.
    """
    data = stream.read()
    try:
        structure = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PackageError(f"{label}: not a course structure JSON file ({error})") from None
    if not isinstance(structure, dict) or not all(isinstance(v, dict) for v in structure.values()):
        raise PackageError(f"{label}: a course structure is an object of blocks keyed by usage key")
    roots = [key for key, block in structure.items() if block.get("category") == "course"]
    if len(roots) != 1:
        raise PackageError(f"{label}: expected exactly one block of category 'course', found {len(roots)}")
    blocks: list[Block] = []
    seen: set[str] = set()
    # An explicit stack, not recursion: outlines can be deep, and ordering must be pre-order.
    stack: list[tuple[str, str | None, int, dict[str, Any]]] = [(roots[0], None, 0, {})]
    while stack:
        key, parent, depth, inherited_from_parent = stack.pop()
        if key in seen or key not in structure:
            continue
        seen.add(key)
        raw = structure[key]
        metadata = raw.get("metadata") or {}
        inherited = dict(inherited_from_parent)
        inherited.update({name: metadata[name] for name in _INHERITED if name in metadata})
        blocks.append(
            Block(
                usage_key=key,
                category=str(raw.get("category", "")),
                parent=parent,
                position=len(blocks),
                depth=depth,
                display_name=str(metadata.get("display_name") or ""),
                metadata=metadata,
                inherited=inherited,
            )
        )
        children = [c for c in raw.get("children") or [] if isinstance(c, str)]
        for child in reversed(children):
            stack.append((child, key, depth + 1, inherited))
    for key in sorted(set(structure) - seen):
        raw = structure[key]
        metadata = raw.get("metadata") or {}
        blocks.append(
            Block(
                key,
                str(raw.get("category", "")),
                None,
                len(blocks),
                0,
                str(metadata.get("display_name") or ""),
                metadata,
                {},
            )
        )
    return blocks


def read_grading_policy(stream: BinaryIO, *, label: str) -> str | None:
    """The text of the OLX export's grading_policy.json, or None if the export has none.

    The file is ``policies/{url_name}/grading_policy.json`` beside ``course.xml`` (whose
    ``url_name`` names the folder); the LMS falls back to a top-level ``grading_policy.json``.
    """
    try:
        with tarfile.open(fileobj=stream, mode="r|*") as archive:
            # Streamed: keep only the small files that matter, never the whole archive.
            wanted: dict[str, bytes] = {}
            for member in archive:
                name = PurePosixPath(member.name)
                if (
                    member.isfile()
                    and name.name in ("course.xml", "grading_policy.json")
                    and member.size < 10 << 20
                ):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        wanted[member.name] = handle.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise PackageError(f"{label}: not a readable course export (.tar.gz): {error}") from None
    courses = sorted((name for name in wanted if PurePosixPath(name).name == "course.xml"), key=len)
    for course_xml in courses:
        top = PurePosixPath(course_xml).parent
        try:
            url_name = ElementTree.fromstring(wanted[course_xml]).get("url_name")
        except ElementTree.ParseError:
            url_name = None
        candidates = [top / "policies" / url_name / "grading_policy.json"] if url_name else []
        candidates.append(top / "grading_policy.json")
        for candidate in candidates:
            text = wanted.get(str(candidate))
            if text is not None:
                return text.decode("utf-8-sig")
    return None
