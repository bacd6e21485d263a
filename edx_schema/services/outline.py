"""A course's outline and grading policy: storing them (from a package, or from a file the user
gives) and reading from the outline what the LMS would take from the course content.

Unattempted subsections: the LMS counts a graded subsection the learner never opened as 0 out of
its possible score, which it takes from the course content. Here that possible comes from the
course outline where the outline fixes it (every scored block in the subsection has a ``weight``:
a weighted problem's possible is its weight), and otherwise it is the largest ``possible_graded``
any learner's row has for the subsection. A subsection that neither rule gives a possible for
cannot score points and is left out, as the LMS leaves out subsections with nothing possible.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import Max
from django.db.models.functions import Cast

from .. import keys
from ..errors import FormatError, GradingPolicyError
from ..grading import course_grade, grading_policy_hash, merge_policy
from ..models import CourseBlock, GradingPolicy, PersistentSubsectionGrade
from ..outcomes import RowCounts
from ..package.course import Block, weight_of
from ..package.jsondoc import excerpt, loads

#: Characters of text written in one statement, at most (see :func:`batches`).
BATCH_CHARS = 4 << 20

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

#: Block types that carry a score in the LMS (``has_score``): their weighted possible is their
#: ``weight`` when one is set. A subsection holding one without a weight has no possible the
#: outline can fix.
SCORED_CATEGORIES = frozenset(
    {
        "problem",
        "openassessment",
        "drag-and-drop-v2",
        "lti",
        "lti_consumer",
        "edx_sga",
        "staffgradedxblock",
        "submit-and-compare",
        "freetextresponse",
        "imageannotation",
        "textannotation",
        "videoannotation",
        "peergrading",
        "combinedopenended",
    }
)
#: Blocks whose content is chosen per learner: the outline cannot say what a learner was given.
PER_LEARNER_CATEGORIES = frozenset({"library_content", "itembank", "split_test", "randomize", "conditional"})


def key_text(name: str = "usage_key") -> Cast:
    """A course or usage key column read as its stored string.

    Reading it through the key field parses every value (about 18 µs a key: 36 s for the 2M
    subsection rows of a 100,000-learner course) where the string is all that is needed.
    """
    return Cast(name, models.CharField())


@dataclass
class Saved(RowCounts):
    """What storing did: the row counts (``deleted``: an outline's blocks no longer in the course)."""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _weight(value: Any) -> float | None:
    try:
        return weight_of(value)
    except ValueError:  # a block built by hand; the course structure reader refuses these
        return None


T = TypeVar("T")


def batches(items: Iterable[T], *, size: Callable[[T], int], count: int = 1_000) -> Iterator[list[T]]:
    """``items`` in lists of at most ``count``, holding at most BATCH_CHARS as ``size`` counts.

    One statement writes a batch: its text must fit MariaDB's max_allowed_packet (16 MB by
    default), which a thousand blocks or posts of up to 1 MB or 4 MB each would not.
    """
    batch: list[T] = []
    chars = 0
    for item in items:
        measure = size(item)
        if batch and (len(batch) >= count or chars + measure > BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(item)
        chars += measure
    if batch:
        yield batch


def block_values(block: Block) -> dict[str, Any]:
    """A block's row in ``edx_schema_courseblock``, but for its course and usage key (shared by
    :func:`save_outline` and the lake's Spark job)."""
    return {
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


def save_outline(*, course_id: str, blocks: Iterable[Block], complete: bool = True) -> Saved:
    """Store ``blocks`` as the course's outline; unchanged blocks are not rewritten.

    ``complete``: the blocks are the whole course (a course structure is a snapshot of it), so
    stored blocks no longer among them are removed. Otherwise they are a fragment of it: blocks
    are added and updated, nothing is removed, a stored block keeps its place in the course
    (position, depth, parent) and new blocks come after the stored ones. Blocks are read and
    written a batch at a time, so an outline read as a stream stays one.
    """
    saved = Saved()
    with transaction.atomic():
        # Stored blocks by key, as strings: parsing each key (which a query on usage_key or a
        # model instance would do) costs seconds for a large course. What is left at the end
        # is no longer in the course.
        stored = dict(
            CourseBlock.objects.filter(course_id=course_id)
            .values_list(key_text(), "pk")
            .iterator(chunk_size=2_000)
        )
        after = 0 if complete or not stored else _next_position(course_id)
        for batch in batches(blocks, size=lambda block: len(json.dumps(block.metadata))):
            wanted = {block.usage_key: block_values(block) for block in batch}
            saved.read += len(batch)
            pks = {key: stored.pop(key) for key in wanted if key in stored}
            current = {
                pk: dict(zip(_BLOCK_FIELDS, values, strict=True))
                for pk, *values in CourseBlock.objects.filter(pk__in=list(pks.values())).values_list(
                    "pk", *_BLOCK_FIELDS
                )
            }
            new, changed = [], []
            for key, values in wanted.items():
                pk = pks.get(key)
                placed(values, None if pk is None else current[pk], complete=complete, after=after)
                if pk is None:
                    new.append(CourseBlock(course_id=course_id, usage_key=key, **values))
                    continue
                if current[pk] != values:
                    changed.append(CourseBlock(pk=pk, **values))
                else:
                    saved.unchanged += 1
            CourseBlock.objects.bulk_create(new)
            CourseBlock.objects.bulk_update(changed, _BLOCK_FIELDS)
            saved.inserted += len(new)
            saved.updated += len(changed)
        removed = iter(stored.values() if complete else ())
        while chunk := list(islice(removed, 1_000)):
            saved.deleted += CourseBlock.objects.filter(pk__in=chunk).delete()[0]
    return saved


#: Where a block is in its course's order.
_PLACE_FIELDS = ("position", "depth", "parent")


def placed(values: dict[str, Any], stored: dict[str, Any] | None, *, complete: bool, after: int) -> None:
    """Put a block's ``values`` in its course's order, given the block as stored (None: new).

    A new block of a fragment comes ``after`` the stored blocks (0 for a whole course); a stored
    block keeps its place when the outline is a fragment, which does not say where it is.
    """
    if stored is None:
        values["position"] += after
    elif not complete:
        values.update({name: stored[name] for name in _PLACE_FIELDS})


def _next_position(course_id: str) -> int:
    """The position after the course's last stored block."""
    last = CourseBlock.objects.filter(course_id=course_id).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


#: A GRADER entry's min_count and drop_count, at most: the grader pads with a zero per missing
#: assignment, so a huge count would take memory for nothing (a course has tens at most).
_MAX_COUNT = 1_000


def _check_graders(data: dict[str, Any], source: str) -> None:
    """Refuse GRADER entries whose text fields are not text or whose counts are out of range.

    The grader itself checks the rest and names what is wrong.
    """
    graders = data.get("GRADER")
    for index, entry in enumerate(graders if isinstance(graders, list) else []):
        if not isinstance(entry, dict):
            continue
        where = f"{source}: GRADER[{index}]"
        for name in ("type", "category", "short_label"):
            if name in entry and not isinstance(entry[name], str):
                raise GradingPolicyError(f"{where}.{name} is not text: {excerpt(entry[name])}")
        for name in ("min_count", "drop_count"):
            try:
                count = float(entry[name])
            except (KeyError, TypeError, ValueError):
                continue  # missing or not a number: the grader says so
            if not (math.isfinite(count) and 0 <= count <= _MAX_COUNT):
                raise GradingPolicyError(
                    f"{where}.{name} is not a count from 0 to {_MAX_COUNT:,}: {excerpt(entry[name])}"
                )


def parse_policy(text: str, *, source: str) -> dict[str, Any]:
    """The merged policy for a grading_policy.json text; GradingPolicyError if it is unusable."""
    try:
        data = loads(text, file=source)  # bounded nesting, finite numbers, Unicode: FormatError
    except FormatError as error:
        raise GradingPolicyError(f"not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise GradingPolicyError(f"{source}: a grading policy is a JSON object with GRADER and GRADE_CUTOFFS")
    _check_graders(data, source)
    policy = merge_policy(data)
    try:
        course_grade(policy, [])  # checks every GRADER entry and cutoff
    except GradingPolicyError as error:
        raise GradingPolicyError(f"{source}: {error}") from None
    return policy


def policy_values(*, course_id: str, text: str, source: str) -> tuple[str, dict[str, Any]]:
    """The course key as stored, and the grading policy's row in ``edx_schema_gradingpolicy``
    (shared by :func:`save_grading_policy` and the lake's Spark job).

    Raises InvalidKeyError for a ``course_id`` that is not a course key, GradingPolicyError for a
    policy that cannot be used.
    """
    course_id = str(keys.course_key(course_id))
    policy = parse_policy(text, source=source)
    return course_id, {
        "raw": text,
        "grader": policy["GRADER"],
        "grade_cutoffs": policy["GRADE_CUTOFFS"],
        "grading_policy_hash": grading_policy_hash(policy),
        "source": source[:255],
    }


def policy_changed(stored: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether a new policy's ``values`` replace the stored row's (an unchanged one is not
    rewritten: its source stays the file that brought it first)."""
    return stored["grading_policy_hash"] != values["grading_policy_hash"] or stored["raw"] != values["raw"]


def save_grading_policy(*, course_id: str, text: str, source: str) -> Saved:
    """Store the course's grading policy from the JSON ``text`` (merged with the LMS defaults).

    Raises InvalidKeyError for a ``course_id`` that is not a course key, GradingPolicyError for a
    policy that cannot be used.
    """
    course_id, values = policy_values(course_id=course_id, text=text, source=source)
    saved = Saved(read=1)
    row = GradingPolicy.objects.filter(course_id=course_id).first()
    if row is None:
        GradingPolicy.objects.create(course_id=course_id, **values)
        saved.inserted = 1
    elif policy_changed(vars(row), values):
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        saved.updated = 1
    else:
        saved.unchanged = 1
    return saved


def outline_possibles(*, course_id: str) -> dict[str, float | None]:
    """Each graded subsection's possible score as the course outline fixes it, in course order.

    The value is the sum of the weights of the subsection's scored blocks (problems whose own
    ``graded`` is false are not counted), or None when a scored block has no weight or the
    subsection holds content chosen per learner.
    """
    possibles: dict[str, float | None] = {}
    current: str | None = None
    depth = 0
    blocks = (
        CourseBlock.objects.filter(course_id=course_id)
        .order_by("position")
        .values_list(key_text(), "category", "depth", "graded", "weight", "metadata")
    )
    # Course order is depth first, so a subsection's descendants are the blocks after it that
    # are deeper than it.
    for key, category, block_depth, graded, weight, metadata in blocks.iterator(chunk_size=2_000):
        if current is not None and block_depth <= depth:
            current = None
        if category == "sequential":
            if graded:
                current, depth = key, block_depth
                possibles.setdefault(key, 0.0)
            continue
        if current is None or possibles[current] is None:
            continue
        if category in PER_LEARNER_CATEGORIES or (category in SCORED_CATEGORIES and weight is None):
            possibles[current] = None
        elif category in SCORED_CATEGORIES and metadata.get("graded") is not False:
            possibles[current] += weight
    return possibles


def unattempted_possibles(*, course_id: str) -> dict[str, float]:
    """The possible score of each graded subsection for a learner who has no row for it.

    From the outline where it fixes one, else the largest ``possible_graded`` of any learner's
    row for the subsection (see the module docstring). Subsections with nothing possible are
    left out.
    """
    possibles = outline_possibles(course_id=course_id)
    unknown = [key for key, possible in possibles.items() if possible is None]
    if unknown:  # one pass over the course's rows, only for what the outline cannot say
        possibles.update(
            PersistentSubsectionGrade.objects.filter(course_id=course_id, usage_key__in=unknown)
            .values("usage_key")
            .annotate(most=Max("possible_graded"))
            .values_list(key_text(), "most")
        )
    return {key: possible for key, possible in possibles.items() if possible}
