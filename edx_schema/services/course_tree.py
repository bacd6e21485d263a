"""A course's content tree: stored from the OLX export, and read back for grading.

Grading reads the course structure's outline (``edx_schema_courseblock``) and each block's
content from the OLX (``edx_schema_coursecontentblock``), merged (:func:`.tree.merged`); a course
from before structures were exported has the OLX alone, and that serves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from ..errors import GradingPolicyError
from ..models import CourseBlock, CourseContentBlock
from ..outcomes import RowCounts
from ..package.course.tree import CourseTree, SettingError, TreeBlock, merged, tree_block
from .outline import batches, key_text

#: Blocks read from the database at a time.
READ_CHUNK = 5_000


def save_content(*, course_id: str, tree: CourseTree, source: str) -> RowCounts:
    """Store ``tree`` (read from the OLX export ``source``) as the course's content, replacing
    what an earlier export stored."""
    counts = RowCounts(read=len(tree.blocks))
    values = content_rows(course_id=course_id, tree=tree, source=source)
    rows = (CourseContentBlock(**row) for row in values)
    with transaction.atomic():
        counts.deleted = CourseContentBlock.objects.filter(course_id=course_id).delete()[0]
        for batch in batches(rows, size=lambda row: len(str(row.settings)) + 100 * len(row.children)):
            CourseContentBlock.objects.bulk_create(batch)
            counts.inserted += len(batch)
    counts.deleted = max(counts.deleted - counts.inserted, 0)
    return counts


def content_rows(*, course_id: str, tree: CourseTree, source: str) -> Iterator[dict[str, Any]]:
    """The tree's blocks as rows of ``edx_schema_coursecontentblock``, in course order (shared by
    :func:`save_content` and the lake's Spark job)."""
    for position, block in enumerate(tree.pre_order()):
        yield {
            "course_id": course_id,
            "usage_key": block.usage_key,
            "category": block.category[:255],
            "position": position,
            "children": list(block.children),
            "settings": _settings(block),
            "max_score": block.max_score,
            "group_id_to_child": {str(group): child for group, child in block.group_id_to_child.items()},
            "source": source[:255],
        }


def _settings(block: TreeBlock) -> dict:
    """The settings grading reads, in the form :func:`.tree.tree_block` reads them back."""
    settings = {
        "display_name": block.display_name,
        "weight": block.weight,
        "graded": block.graded,
        "format": block.format,
        "start": block.start.isoformat() if block.start else None,
        "days_early_for_beta": block.days_early_for_beta,
        "visible_to_staff_only": block.visible_to_staff_only,
        "group_access": {str(p): list(g) for p, g in block.group_access.items()} or None,
        "has_score": block.has_score if block.category in ("lti", "lti_consumer") else None,
        "user_partition_id": block.user_partition_id,
        "max_count": block.max_count if block.category in ("library_content", "itembank") else None,
    }
    return {name: value for name, value in settings.items() if value is not None}


def course_tree(*, course_id: str) -> CourseTree:
    """The course's tree for grading, from its stored outline and OLX content.

    GradingPolicyError when the course has neither, or a stored setting grading cannot read.
    """
    structure, olx = _structure_tree(course_id), _olx_tree(course_id)
    if structure is None and olx is None:
        raise GradingPolicyError(
            f"{course_id} has no course content to grade from: import its package with the course "
            "structure JSON (…-course_structure-prod-analytics.json) or the OLX export "
            "(…-course-prod-analytics.xml.tar.gz)"
        )
    return merged(structure=structure, olx=olx)


def _block(course_id: str, **values) -> TreeBlock:
    try:
        return tree_block(**values)
    except SettingError as error:
        raise GradingPolicyError(
            f"{course_id}: block {values['usage_key']} has a {error.name} the LMS could not read "
            f"({error}: {error.value!r})"
        ) from None


def _structure_tree(course_id: str) -> CourseTree | None:
    """The course structure's outline, children in course order."""
    rows = (
        CourseBlock.objects.filter(course_id=course_id)
        .order_by("position")
        .values_list(key_text(), "category", "parent", "depth", "metadata")
    )
    children: dict[str, list[str]] = defaultdict(list)
    found: list[tuple[str, str, dict]] = []
    root = None
    for key, category, parent, depth, metadata in rows.iterator(chunk_size=READ_CHUNK):
        found.append((key, category, metadata))
        if parent:
            children[parent].append(key)
        elif depth == 0 and category == "course" and root is None:
            root = key
    if root is None:
        return None
    blocks = {
        key: _block(
            course_id, usage_key=key, category=category, children=children.get(key, ()), settings=metadata
        )
        for key, category, metadata in found
    }
    return CourseTree(course_key=course_id, root=root, blocks=blocks)


def _olx_tree(course_id: str) -> CourseTree | None:
    rows = (
        CourseContentBlock.objects.filter(course_id=course_id)
        .order_by("position")
        .values_list(key_text(), "category", "children", "settings", "max_score", "group_id_to_child")
    )
    blocks: dict[str, TreeBlock] = {}
    root = None
    for key, category, children, settings, max_score, groups in rows.iterator(chunk_size=READ_CHUNK):
        root = root or key
        blocks[key] = _block(
            course_id,
            usage_key=key,
            category=category,
            children=children,
            settings=settings,
            max_score=max_score,
            group_children={int(group): child for group, child in groups.items()},
        )
    if root is None:
        return None
    return CourseTree(course_key=course_id, root=root, blocks=blocks)
