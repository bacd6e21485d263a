"""The LMS's course-grade algorithm, bit for bit: from subsection totals to percent, letter and pass.

A pure module (no Django import), tested directly against the LMS's own worked examples:

- a subsection's percent is ``earned / possible`` rounded numpy-style (binary scale, half to even)
  to 4 decimals, as the LMS has since late 2024 (2 decimals from 2018, none before);
- each GRADER entry takes its subsections (matched by ``format`` == ``type``, in course order),
  pads with zeros up to ``min_count``, drops the ``drop_count`` lowest (of equal ones the later),
  and averages over ``n - drop_count``;
- the weighted sum (weights are not normalised) is rounded as
  ``round_away_from_zero(raw * 100 + 0.05) / 100``, which puts the threshold at x.45%;
- the letter is the first cutoff, in descending order, that the rounded percent reaches, and
  "passed" means reaching the lowest positive cutoff.
"""

from __future__ import annotations

import copy
import json
import math
from base64 import b64encode
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from hashlib import sha1
from typing import Any

from .errors import GradingPolicyError, shown

#: The LMS's default ``grading_policy`` (``CourseFields.grading_policy.default``).
DEFAULT_POLICY: dict[str, Any] = {
    "GRADER": [
        {"type": "Homework", "min_count": 12, "drop_count": 2, "short_label": "HW", "weight": 0.15},
        {"type": "Lab", "min_count": 12, "drop_count": 2, "weight": 0.15},
        {"type": "Midterm Exam", "short_label": "Midterm", "min_count": 1, "drop_count": 0, "weight": 0.3},
        {"type": "Final Exam", "short_label": "Final", "min_count": 1, "drop_count": 0, "weight": 0.4},
    ],
    "GRADE_CUTOFFS": {"Pass": 0.5},
}

#: Subsection rounding of the LMS's eras: 4 decimals (current), 2 (2018 to 2024), None (before).
SUBSECTION_ROUNDINGS = (4, 2, None)


def merge_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The course's effective policy for a ``grading_policy.json``, merged as the LMS merges it.

    Start from the default policy and ``update`` it with the file's top-level keys: a file
    with only ``GRADER`` keeps the default cutoffs ``{"Pass": 0.5}``, and the other way round.
    """
    merged = copy.deepcopy(DEFAULT_POLICY)
    merged.update(copy.deepcopy(dict(policy)))
    return merged


def grading_policy_hash(policy: Mapping[str, Any]) -> str:
    """``grading_policy_hash`` as the LMS stores it: base64 of the SHA-1 of canonical JSON.

    Canonical is Python's ``json``: keys sorted at every level, no spaces, ASCII only, floats in
    shortest repr (``1.0`` stays distinct from ``1``).
    """
    text = json.dumps(policy, separators=(",", ":"), sort_keys=True)
    return b64encode(sha1(text.encode("utf-8")).digest()).decode("ascii")


def subsection_percent(earned: float, possible: float, *, rounding: int | None = 4) -> float:
    """``earned / possible`` rounded as ``numpy.around`` does, or 0.0 when nothing is possible.

    numpy scales in binary and rounds half to even, which Python's ``round`` of the scaled
    double also does: 13/40 gives 0.32 at 2 decimals (decimal rounding would give 0.33).
    """
    if not possible > 0:
        return 0.0
    ratio = earned / possible
    if rounding is None:
        return ratio
    scale = 10.0**rounding
    return round(ratio * scale) / scale


def round_away_from_zero(number: float, digits: int = 0) -> float:
    """The LMS's ``round_away_from_zero``: half rounds away from zero, in binary arithmetic."""
    scale = 10.0**digits
    if number >= 0:
        return math.floor(number * scale + 0.5) / scale
    return math.ceil(number * scale - 0.5) / scale


@dataclass(frozen=True)
class Totals:
    """A subsection's four totals, after any staff override."""

    earned_all: float
    possible_all: float
    earned_graded: float
    possible_graded: float


_TOTALS = ("earned_all", "possible_all", "earned_graded", "possible_graded")


def _value(source: Any, name: str) -> Any:
    return source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)


def apply_override(stored: Any, override: Any = None) -> Totals:
    """The effective totals: each override field that is not None replaces the stored one.

    ``stored`` has ``earned_all``, ``possible_all``, ``earned_graded`` and ``possible_graded``;
    ``override`` has the same names with ``_override`` appended (a mapping or an object, such
    as the models), or is None. The four fields are independent.
    """
    values = {}
    for name in _TOTALS:
        replaced = _value(override, f"{name}_override") if override is not None else None
        values[name] = replaced if replaced is not None else _value(stored, name)
    return Totals(**values)


@dataclass(frozen=True)
class _Grader:
    type: str
    category: str
    min_count: int
    drop_count: int
    weight: float


def _graders(policy: Mapping[str, Any]) -> list[_Grader]:
    graders = []
    entries = policy.get("GRADER")
    if not isinstance(entries, list):
        raise GradingPolicyError("the grading policy's GRADER is not a list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or "type" not in entry:
            raise GradingPolicyError(f"GRADER entry {index + 1} has no type")
        # Values come from a file: messages quote them short (see errors.shown).
        where = f"GRADER entry {index + 1} ({_label(entry['type'])})"
        try:
            min_count = int(float(entry["min_count"]))
        except KeyError:
            raise GradingPolicyError(f"{where} has no min_count") from None
        except (TypeError, ValueError, OverflowError):
            count = shown(entry["min_count"])
            raise GradingPolicyError(f"{where}: min_count {count} is not a number") from None
        drop_count = entry.get("drop_count")
        if isinstance(drop_count, bool) or not isinstance(drop_count, int):
            raise GradingPolicyError(f"{where}: drop_count {shown(drop_count)} is not an integer")
        weight = entry.get("weight", 0)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise GradingPolicyError(f"{where}: weight {shown(weight)} is not a number")
        graders.append(
            _Grader(
                type=entry["type"],
                category=entry.get("category", entry["type"]),
                min_count=min_count,
                drop_count=drop_count,
                weight=weight,
            )
        )
    return graders


def _label(name: object) -> str:
    """A grader's type as a message names it: as it is if short printable text, else quoted short."""
    if isinstance(name, str) and name.isprintable() and len(name) <= 40:
        return name
    return shown(name, 40)


def _cutoffs(policy: Mapping[str, Any]) -> dict[str, float]:
    cutoffs = policy.get("GRADE_CUTOFFS", {})
    if not isinstance(cutoffs, Mapping):
        raise GradingPolicyError("the grading policy's GRADE_CUTOFFS is not a mapping of letter to fraction")
    for letter, cutoff in cutoffs.items():
        if isinstance(cutoff, bool) or not isinstance(cutoff, int | float):
            raise GradingPolicyError(f"GRADE_CUTOFFS {shown(letter, 40)}: {shown(cutoff)} is not a number")
    return dict(cutoffs)


@dataclass(frozen=True)
class CourseGrade:
    """A learner's course grade: ``percent`` is a fraction with two decimals (0.67 is 67%)."""

    raw_percent: float
    percent: float
    letter_grade: str | None
    passed: bool
    grade_breakdown: dict[str, float] = field(default_factory=dict)


def _type_percent(scores: list[float], grader: _Grader) -> float:
    count = max(grader.min_count, len(scores))
    items = scores + [0.0] * (count - len(scores))  # placeholders come after the real entries
    total: float = 0
    if grader.drop_count > 0:
        # Stable sort by percent descending (ties keep course order); the last drop_count are
        # the lowest, later ones first. The rest are summed in course order, as the LMS sums.
        dropped = set(sorted(range(count), key=items.__getitem__, reverse=True)[-grader.drop_count :])
        for index in range(count):
            if index not in dropped:
                total += items[index]
    else:
        for item in items:
            total += item
    if count - grader.drop_count > 0:
        total /= count - grader.drop_count
    return total


class CourseGrader:
    """A grading policy checked and prepared once, to grade many learners with it.

    ``course_grade`` builds one per call; ``recompute_grades`` builds one per course, so the
    policy is not parsed again for every learner.
    """

    def __init__(self, policy: Mapping[str, Any], *, subsection_rounding: int | None = 4) -> None:
        if subsection_rounding not in SUBSECTION_ROUNDINGS:
            raise GradingPolicyError(f"subsection_rounding must be 4, 2 or None, not {subsection_rounding!r}")
        self.rounding = subsection_rounding
        self.graders = _graders(policy)
        cutoffs = _cutoffs(policy)
        # Python's sort is stable: of equal cutoffs, the one listed first in the policy wins.
        self.cutoffs = sorted(cutoffs.items(), key=lambda kv: kv[1], reverse=True)
        positive = [cutoff for cutoff in cutoffs.values() if cutoff > 0]
        self.success_cutoff = min(positive) if positive else None
        # One list of percents per assignment type a grader reads; subsections of any other
        # format are ignored, as the LMS ignores them.
        self._slots: dict[str, int] = {}
        for grader in self.graders:
            self._slots.setdefault(grader.type, len(self._slots))
        self._reads = [(self._slots[grader.type], grader) for grader in self.graders]

    def grade(self, subsections: Iterable[Mapping[str, Any]]) -> CourseGrade:
        """The course grade for ``subsections``, as described in :func:`course_grade`."""
        entries = []
        seen: set[Any] = set()
        for subsection in subsections:
            key = subsection.get("usage_key")
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            if subsection.get("graded"):
                entries.append(
                    (
                        subsection.get("format") or "",
                        subsection["earned_graded"],
                        subsection["possible_graded"],
                    )
                )
        return self.grade_totals(entries)

    def grade_totals(self, entries: Iterable[tuple[str, float, float]]) -> CourseGrade:
        """The course grade for graded subsections given as ``(format, earned, possible)``.

        The fast path of :meth:`grade`, for callers that already hold each graded subsection once,
        in course order, with its override applied.
        """
        scale = None if self.rounding is None else 10.0**self.rounding
        slots = self._slots
        sheet: list[list[float]] = [[] for _ in slots]
        for fmt, earned, possible in entries:
            slot = slots.get(fmt)
            if slot is not None and possible > 0:
                # subsection_percent, inlined: this runs for every subsection of every learner
                sheet[slot].append(
                    earned / possible if scale is None else round(earned / possible * scale) / scale
                )
        raw = 0.0
        breakdown: dict[str, float] = {}
        for slot, grader in self._reads:
            weighted = _type_percent(sheet[slot], grader) * grader.weight
            breakdown[grader.category] = weighted
            raw += weighted
        percent = round_away_from_zero(raw * 100 + 0.05) / 100
        letter = next((name for name, cutoff in self.cutoffs if percent >= cutoff), None)
        passed = self.success_cutoff is not None and percent >= self.success_cutoff
        return CourseGrade(
            raw_percent=raw, percent=percent, letter_grade=letter, passed=passed, grade_breakdown=breakdown
        )


def course_grade(
    policy: Mapping[str, Any],
    subsections: Iterable[Mapping[str, Any]],
    *,
    subsection_rounding: int | None = 4,
) -> CourseGrade:
    """Compute a course grade exactly as the LMS does.

    ``policy`` is shaped like grading_policy.json (already merged, see :func:`merge_policy`).
    ``subsections`` come in course order, each a mapping with ``format``, ``graded``,
    ``earned_graded`` and ``possible_graded`` (override already applied) and, optionally,
    ``usage_key``: a subsection listed twice counts once, at its first position.
    """
    return CourseGrader(policy, subsection_rounding=subsection_rounding).grade(subsections)
