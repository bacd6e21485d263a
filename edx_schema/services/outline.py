"""Store a course's outline and grading policy (from a package, or from a file the user gives)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ..errors import GradingPolicyError
from ..grading import course_grade, grading_policy_hash, merge_policy
from ..models import CourseBlock, GradingPolicy
from ..package.course import Block

_BLOCK_FIELDS = (
    "category",
    "parent",
    "position",
    "depth",
    "display_name",
    "format",
    "graded",
    "weight",
    "start",
    "due",
    "metadata",
)


@dataclass
class Saved:
    """What storing did: rows inserted, updated, unchanged and (outline only) deleted."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _weight(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def save_outline(*, course_id: str, blocks: list[Block]) -> Saved:
    """Replace the course's outline with ``blocks``: the structure is a snapshot of the course.

    Blocks no longer in the course are removed; unchanged ones are not rewritten.
    """
    saved = Saved()
    wanted = {
        block.usage_key: {
            "category": block.category[:255],
            "parent": block.parent or "",
            "position": block.position,
            "depth": block.depth,
            "display_name": block.display_name[:255],
            "format": _text(block.format)[:255],
            "graded": block.graded,
            "weight": _weight(block.metadata.get("weight")),
            "start": _text(block.inherited.get("start"))[:64],
            "due": _text(block.inherited.get("due"))[:64],
            "metadata": block.metadata,
        }
        for block in blocks
    }
    with transaction.atomic():
        existing = {str(row.usage_key): row for row in CourseBlock.objects.filter(course_id=course_id)}
        removed = [row.pk for key, row in existing.items() if key not in wanted]
        if removed:
            saved.deleted = CourseBlock.objects.filter(pk__in=removed).delete()[0]
        new, changed = [], []
        for key, values in wanted.items():
            row = existing.get(key)
            if row is None:
                new.append(CourseBlock(course_id=course_id, usage_key=key, **values))
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                changed.append(row)
            else:
                saved.unchanged += 1
        CourseBlock.objects.bulk_create(new, batch_size=1000)
        CourseBlock.objects.bulk_update(changed, _BLOCK_FIELDS, batch_size=1000)
    saved.inserted, saved.updated = len(new), len(changed)
    return saved


def parse_policy(text: str, *, source: str) -> dict[str, Any]:
    """The merged policy for a grading_policy.json text; GradingPolicyError if it is unusable."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise GradingPolicyError(f"{source}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise GradingPolicyError(f"{source}: a grading policy is a JSON object with GRADER and GRADE_CUTOFFS")
    policy = merge_policy(data)
    try:
        course_grade(policy, [])  # checks every GRADER entry and cutoff
    except GradingPolicyError as error:
        raise GradingPolicyError(f"{source}: {error}") from None
    return policy


def save_grading_policy(*, course_id: str, text: str, source: str) -> Saved:
    """Store the course's grading policy from the JSON ``text`` (merged with the LMS defaults)."""
    policy = parse_policy(text, source=source)
    values = {
        "raw": text,
        "grader": policy["GRADER"],
        "grade_cutoffs": policy["GRADE_CUTOFFS"],
        "grading_policy_hash": grading_policy_hash(policy),
        "source": source[:255],
    }
    saved = Saved()
    row = GradingPolicy.objects.filter(course_id=course_id).first()
    if row is None:
        GradingPolicy.objects.create(course_id=course_id, **values)
        saved.inserted = 1
    elif row.grading_policy_hash != values["grading_policy_hash"] or row.raw != text:
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        saved.updated = 1
    else:
        saved.unchanged = 1
    return saved
