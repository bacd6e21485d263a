"""The org-level e-mail opt-in list, ``{org}-email_opt_in-prod-analytics.csv``.

What the LMS's ``email_opt_in_list`` command writes for the exporter: a ``csv`` file (excel
dialect: commas, quotes only where a value needs them, CRLF line ends) with one row per
enrollment, active or not, in the org's courses. The courses are queried in chunks, and the
header is written again at the start of each chunk. A learner's org-level ``email-optin`` tag
gives ``is_opted_in_for_email`` (its raw value) and ``preference_set_datetime`` (when it was set,
printed time-zone aware); learners without a tag get the command's defaults.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Sequence
from pathlib import Path

from .rows import EmailOptInRow
from .spec import CourseRun, Learner, PackageSpec, timestamp

#: What the command writes for a learner who never set the preference (defaults, not data).
NO_TAG = ("True", "2014-12-01 00:00:00")


def email_opt_in_name(spec: PackageSpec) -> str:
    """The file's name: the org as the exporter names the package (lower case), prod only."""
    return f"{spec.org.lower()}-email_opt_in-prod-analytics.csv"


def email_opt_in(folder: Path, spec: PackageSpec, runs: Sequence[CourseRun]) -> int:
    """Write the list of every enrollment of ``runs`` into ``folder``; return the rows written.

    Since 2017 edX has shipped this file in a zip of its own (``email-opt-in/{org}-{date}.zip``),
    not in the weekly package. It is written into the package here all the same, so that the
    one ``import_package`` command of the README loads it with the rest of the sample.
    """
    count = 0
    chunk = spec.email_optin_chunk_size
    with open(folder / email_opt_in_name(spec), "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, dialect="excel")
        for start in range(0, len(runs), chunk):
            writer.writerow(EmailOptInRow._fields)
            for run in runs[start : start + chunk]:
                for learner in run.enrolled:
                    writer.writerow(_row(spec, run, learner))
                    count += 1
    return count


def _row(spec: PackageSpec, run: CourseRun, learner: Learner) -> EmailOptInRow:
    opted_in, set_at = _preference(spec, learner)
    return EmailOptInRow(
        user_id=learner.id,
        username=learner.username,
        email=learner.email,
        full_name=learner.full_name,
        course_id=run.course.key,
        is_opted_in_for_email=opted_in,
        preference_set_datetime=set_at,
    )


def _preference(spec: PackageSpec, learner: Learner) -> tuple[str, str]:
    """The learner's newest org tag (the same in every course of the org), or the defaults.

    Half the learners never set one; the others opted in or out. The tag's time is printed as
    the command prints it, made UTC-aware: ``2024-07-20 10:00:00+00:00``.
    """
    rng = spec.rng("email-optin", learner.id)
    value = rng.choice((None, None, "True", "False"))
    if value is None:
        return NO_TAG
    modified = datetime.datetime.fromisoformat(timestamp(spec.base, rng)).replace(tzinfo=datetime.UTC)
    return value, str(modified)
