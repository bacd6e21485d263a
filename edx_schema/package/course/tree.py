"""A course's content tree as the LMS grades it: each block's children, its own settings and, for
scored blocks, the maximum score its content gives.

Built from the course structure JSON, the OLX export, or both (:func:`merged`): the structure
has the outline and each block's own settings but no content; the OLX has both, and is the only
source of a problem's maximum score, a split test's groups and an old course's outline.

Pure: no Django import.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .blocks import weight_of

#: Block types the LMS walks into when it grades a subsection (``possibly_scored``: the type has
#: children or a score). Any other type (html, video, ...) is passed over with its subtree.
CONTAINER_TYPES = frozenset(
    {
        "course",
        "chapter",
        "sequential",
        "vertical",
        "library_content",
        "itembank",
        "split_test",
        "conditional",
        "library",
        "randomize",
        "wrapper",
        "acid_parent",
        "unit",
    }
)
#: Block types whose every instance has a score (class-level ``has_score``).
SCORED_TYPES = frozenset(
    {
        "problem",
        "openassessment",
        "drag-and-drop-v2",
        "edx_sga",
        "done",
        "staffgradedxblock",
        "submit-and-compare",
        "freetextresponse",
    }
)
#: Block types with a score only when their ``has_score`` setting is true (default false).
OPTIONAL_SCORE_TYPES = frozenset({"lti", "lti_consumer"})
#: ``weight`` when a block does not set one: the class default (capa and ORA have none).
DEFAULT_WEIGHTS: Mapping[str, float | int] = {"drag-and-drop-v2": 1, "lti": 1.0, "lti_consumer": 1.0}
#: ``max_count`` of a library_content block that does not set it.
DEFAULT_MAX_COUNT = 1
#: The LMS's start date for a course that sets none: content is unreleased until then.
DEFAULT_START = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True, slots=True)
class TreeBlock:
    """One block of the content tree, with what grading reads from it.

    Settings are the block's *own* values (None: not set); inheritance is the grader's work.
    ``max_score`` is the content's maximum raw score for a scored block (None: unknown, and the
    LMS then leaves the block out of the grade).
    """

    usage_key: str
    category: str
    children: tuple[str, ...] = ()
    display_name: str = ""
    weight: float | int | None = None
    graded: bool | None = None
    format: str | None = None
    start: datetime.datetime | None = None
    days_early_for_beta: float | None = None
    visible_to_staff_only: bool | None = None
    group_access: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    has_score: bool = False
    max_score: float | None = None
    user_partition_id: int | None = None  # split_test
    group_id_to_child: Mapping[int, str] = field(default_factory=dict)  # split_test
    max_count: int = DEFAULT_MAX_COUNT  # library_content

    @property
    def is_container(self) -> bool:
        return self.category in CONTAINER_TYPES

    @property
    def possibly_scored(self) -> bool:
        """Whether the grader walks into this block at all."""
        return self.is_container or self.has_score


@dataclass
class CourseTree:
    """A course's blocks by usage key, from the course block (``root``) down."""

    course_key: str
    root: str
    blocks: dict[str, TreeBlock]
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> TreeBlock:
        return self.blocks[key]

    def __contains__(self, key: object) -> bool:
        return key in self.blocks

    def pre_order(self, start: str | None = None) -> Iterator[TreeBlock]:
        """Blocks reachable from ``start`` (the root by default), depth first, each once."""
        seen: set[str] = set()
        stack = [start or self.root]
        while stack:
            key = stack.pop()
            block = self.blocks.get(key)
            if block is None or key in seen:
                continue
            seen.add(key)
            yield block
            stack.extend(reversed(block.children))

    def subsections(self) -> list[TreeBlock]:
        """The sequentials in course order."""
        return [block for block in self.pre_order() if block.category == "sequential"]

    def parents(self) -> dict[str, list[str]]:
        """Each reachable block's parents, in the order the walk meets them."""
        found: dict[str, list[str]] = {}
        for block in self.pre_order():
            for child in block.children:
                found.setdefault(child, []).append(block.usage_key)
        return found

    def inherited_graded(self) -> dict[str, bool]:
        """Each sequential's ``graded``: its own, else its chapter's, else the course's, else False."""
        parents = self.parents()
        result = {}
        for block in self.subsections():
            value, key = block.graded, block.usage_key
            while value is None and parents.get(key):
                key = parents[key][0]
                value = self.blocks[key].graded
            result[block.usage_key] = bool(value)
        return result


# -- settings as the LMS reads them ----------------------------------------------------------------


class SettingError(ValueError):
    """A setting whose value the LMS could not read; ``name`` says which."""

    def __init__(self, name: str, message: str, value: Any) -> None:
        super().__init__(message)
        self.name, self.value = name, value


def boolean(value: Any, name: str) -> bool | None:
    """A Boolean field: a JSON boolean, "true"/"false" (any case) or a number; None if unset."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    if isinstance(value, int | float):
        return bool(value)
    raise SettingError(name, f"{name} is true or false", value)


def date(value: Any, name: str) -> datetime.datetime | None:
    """A Date field: ISO 8601 text (UTC if it names no zone) or a JSON number of seconds; None if unset."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
        except (OverflowError, OSError, ValueError):
            raise SettingError(name, f"{name} is a date", value) from None
    if not isinstance(value, str):
        raise SettingError(name, f"{name} is a date", value)
    text = value.strip().strip('"')
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SettingError(name, f"{name} is an ISO 8601 date", value) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def number(value: Any, name: str) -> float | None:
    try:
        return weight_of(value)
    except ValueError:
        raise SettingError(name, f"{name} is a number", value) from None


def integer(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise SettingError(name, f"{name} is a whole number", value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise SettingError(name, f"{name} is a whole number", value) from None


def json_value(value: Any) -> Any:
    """A setting given as text in XML or policy: JSON if it parses, else the text itself."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def group_access(value: Any) -> dict[int, tuple[int, ...]]:
    """``group_access``: partition id -> group ids (a JSON object, or its text)."""
    value = json_value(value)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise SettingError(
            "group_access", "group_access is a JSON object of partition id to group ids", value
        )
    result = {}
    for partition, groups in value.items():
        if groups is None:
            continue
        if not isinstance(groups, list) or any(isinstance(g, bool) for g in groups):
            raise SettingError("group_access", "group_access maps a partition to a list of group ids", value)
        try:
            result[int(partition)] = tuple(int(group) for group in groups)
        except (TypeError, ValueError):
            raise SettingError("group_access", "group_access has whole-number ids", value) from None
    return result


def group_id_to_child(value: Any) -> dict[int, str]:
    """A split_test's ``group_id_to_child``: group id -> child usage key (or url_name, in OLX)."""
    value = json_value(value)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(child, str) for child in value.values()):
        raise SettingError("group_id_to_child", "group_id_to_child maps group ids to child keys", value)
    try:
        return {int(group): child for group, child in value.items()}
    except ValueError:
        raise SettingError(
            "group_id_to_child", "group_id_to_child has whole-number group ids", value
        ) from None


def tree_block(
    *,
    usage_key: str,
    category: str,
    children: Iterable[str],
    settings: Mapping[str, Any],
    max_score: float | None = None,
    group_children: Mapping[int, str] | None = None,
) -> TreeBlock:
    """A block from its own settings as exported (the course structure's metadata, or OLX
    attributes with the policy applied), read as the LMS's fields read them.

    SettingError (naming the setting) for a value the LMS could not read.
    """
    weight = number(settings.get("weight"), "weight")
    if weight is None and "weight" not in settings:
        weight = DEFAULT_WEIGHTS.get(category)
    has_score = category in SCORED_TYPES or (
        category in OPTIONAL_SCORE_TYPES and bool(boolean(json_value(settings.get("has_score")), "has_score"))
    )
    if category in OPTIONAL_SCORE_TYPES and max_score is None and has_score:
        max_score = weight  # lti: max_score() is its weight when it has a score
    max_count = integer(settings.get("max_count"), "max_count")
    fmt = settings.get("format")
    return TreeBlock(
        usage_key=usage_key,
        category=category,
        children=tuple(children),
        display_name=str(settings.get("display_name") or ""),
        weight=weight,
        graded=boolean(json_value(settings.get("graded")), "graded"),
        format=None if fmt is None else str(fmt),
        start=date(settings.get("start"), "start"),
        days_early_for_beta=number(settings.get("days_early_for_beta"), "days_early_for_beta"),
        visible_to_staff_only=boolean(
            json_value(settings.get("visible_to_staff_only")), "visible_to_staff_only"
        ),
        group_access=group_access(settings.get("group_access")),
        has_score=has_score,
        max_score=max_score,
        user_partition_id=integer(settings.get("user_partition_id"), "user_partition_id"),
        group_id_to_child=dict(group_children or group_id_to_child(settings.get("group_id_to_child"))),
        max_count=DEFAULT_MAX_COUNT if max_count is None else max_count,
    )


def merged(*, structure: CourseTree | None, olx: CourseTree | None) -> CourseTree:
    """The tree grading uses: the course structure's outline and settings, each block's content
    (maximum score, split test groups) from the OLX; either alone serves.

    ValueError if both are None.
    """
    if structure is None or olx is None:
        tree = structure or olx
        if tree is None:
            raise ValueError("a course tree needs the course structure or the OLX export")
        return tree
    blocks = {}
    for key, block in structure.blocks.items():
        content = olx.blocks.get(key)
        if content is not None:
            block = replace(
                block,
                max_score=content.max_score if block.max_score is None else block.max_score,
                user_partition_id=(
                    content.user_partition_id if block.user_partition_id is None else block.user_partition_id
                ),
                group_id_to_child=block.group_id_to_child or content.group_id_to_child,
            )
        blocks[key] = block
    return CourseTree(
        course_key=structure.course_key,
        root=structure.root,
        blocks=blocks,
        warnings=[*structure.warnings, *olx.warnings],
    )
