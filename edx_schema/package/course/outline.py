"""A course structure's blocks in course order, held in bounded memory: :class:`Outline`.

Pure: no Django import.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, overload

from ...errors import FormatError
from ..jsondoc import json_path
from .blocks import Block, settings

#: Levels below the course block (course, chapter, sequential, vertical, problem: 4).
MAX_OUTLINE_DEPTH = 100


class CourseOrder(NamedTuple):
    """Block ids by position, each one's parent position (-1: none) and depth, and how many
    positions the walk from the tops reached (the unreached follow, with no parent)."""

    order: array
    parents: array
    depths: array
    reached: int


class Outline(Sequence[Block]):
    """The blocks of a course structure in course order (see :func:`.read_course_structure`).

    ``course_id`` is the course the blocks belong to (None only for a fragment whose legacy keys
    do not say the run); ``root`` the course block's usage key, None for a fragment of a
    structure, which has no course block. ``warnings`` are messages, each naming the file, about
    a structure that loads but not whole (a fragment).

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
        course_order: CourseOrder,
        spill: Any,
        course_id: str | None,
        root: str | None,
        warnings: list[str],
    ) -> None:
        self._names, self._spans, self._spill = names, spans, spill
        self._order, self._parents, self._depths, self._reached = course_order
        self.course_id, self.root, self.warnings = course_id, root, warnings

    @property
    def fragment(self) -> bool:
        """Whether the structure lacks its course block: it holds part of a course, not all of it."""
        return self.root is None

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
            display_name=settings(metadata)[0],
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
                inherited = {**inherited, **settings(self._record(step)[1])[1]}
        return self._block(position, *self._record(position), inherited)

    def __iter__(self) -> Iterator[Block]:
        inherited: list[dict[str, Any]] = []  # along the path from the course to the current block
        for position in range(len(self)):
            category, metadata = self._record(position)
            if position < self._reached:
                depth = self._depths[position]
                del inherited[depth:]
                own = settings(metadata)[1]
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


def course_order(
    tops: list[int], spans: array, children: list[array | None], names: list[str], lines: array, label: str
) -> CourseOrder:
    """Course order from ``tops`` (the course block, or a fragment's blocks no block names as a
    child): depth first, pre-order, each top at depth 0; the unreached blocks follow in key order.

    A block reached twice keeps its first position. Iterative, one frame per level, so a deep or
    wide outline costs no recursion and no more than its own size. FormatError for a path more
    than MAX_OUTLINE_DEPTH levels deep.
    """
    seen = bytearray(len(names))
    order, parents, depths = array("l"), array("l"), array("l")
    for top in tops:
        seen[top] = 1
        frames = [[top, 0, len(order)]]  # id, next child index, position
        order.append(top)
        parents.append(-1)
        depths.append(0)
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
    return CourseOrder(order, parents, depths, reached)
