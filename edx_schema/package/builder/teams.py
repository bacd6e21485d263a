"""Teams: the members ``teams`` (teams_courseteam) and ``teams_membership``.

Courses with the new key format use teams: two teams in one topic, which most active learners
joined (one team each). Legacy courses (from before teams existed) write both files header-only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from .output import Table
from .rows import TeamMembershipRow, TeamRow
from .spec import CourseRun, Learner, later, md5_hex, timestamp
from .users import enrollment_active


class _Team(NamedTuple):
    """What the learners who made a team typed: its name and description, country and language."""

    slug: str
    name: str
    description: str
    country: str
    language: str


_TEAMS: tuple[_Team, ...] = (
    _Team("debuggers", "The Debuggers", "We fix each other's code.", "", ""),
    _Team(
        "cafes", "Les Caf\u00e9s \u2615", "On se retrouve le mardi.\nTout le monde est bienvenu !", "FR", "fr"
    ),
)


def _uses_teams(run: CourseRun) -> bool:
    return not run.course.legacy


def team_of(run: CourseRun, learner: Learner) -> int | None:
    """The team (its position in ``_TEAMS``) an enrolled learner joined, or None.

    Learners who unenrolled left their team, and every third learner never joined one.
    """
    if not _uses_teams(run) or not enrollment_active(learner) or learner.id % 3 == 0:
        return None
    return learner.id % len(_TEAMS)


def team_id(run: CourseRun, team: int) -> int:
    """The teams_courseteam id of the course's ``team``-th team."""
    return run.index * 100 + team + 1


def teams(run: CourseRun) -> Table:
    """The course's teams, each with its size (its members in ``teams_membership``)."""
    if not _uses_teams(run):
        return Table("teams", TeamRow._fields, ())
    sizes = Counter(team_of(run, u) for u in run.enrolled)
    rows: Sequence[TeamRow] = [
        TeamRow(
            id=team_id(run, team),
            team_id=f"{made.slug}-{md5_hex(f'team{team}{run.course.key}')[:8]}",
            name=made.name,
            course_id=run.course.key,
            topic_id="topic-1",
            date_created=timestamp(run.spec.base, run.rng("team", team), days=5),
            description=made.description,
            country=made.country,
            language=made.language,
            discussion_topic_id=md5_hex(f"discussion{team}{run.course.key}"),
            last_activity_at=timestamp(run.spec.base, run.rng("team active", team), days=60),
            team_size=sizes[team],
            organization_protected=0,
        )
        for team, made in enumerate(_TEAMS)
    ]
    return Table("teams", TeamRow._fields, rows)


def teams_membership(run: CourseRun) -> Table:
    """Each team member's membership: when they joined and when they were last active."""
    rows = (
        TeamMembershipRow(
            id=run.row_id(u),
            user_id=u.id,
            team_id=team_id(run, team),
            date_joined=(joined := timestamp(run.spec.base, run.rng("joined", u.id), days=10)),
            last_activity_at=later(joined, hours=1 + u.id % 200),
        )
        for u in run.enrolled
        if (team := team_of(run, u)) is not None
    )
    return Table("teams_membership", TeamMembershipRow._fields, rows)
