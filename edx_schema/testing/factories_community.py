"""factory-boy factories for the wiki, teams, language-proficiency and e-mail opt-in tables.

Names follow edx-platform's (``CourseTeamFactory``, ``CourseTeamMembershipFactory``). Defaults
are consistent: an article's current revision is its own latest one, and a team's ``team_size``
counts its memberships.
"""

from __future__ import annotations

import uuid
from typing import Any

import factory
from factory.django import DjangoModelFactory

from ..models import (
    Article,
    ArticleRevision,
    CourseTeam,
    CourseTeamMembership,
    EmailOptIn,
    LanguageProficiency,
)
from .factories import (
    _ACTIVE,
    _JOINED,
    COURSE_KEY,
    UserFactory,
    UserProfileFactory,
    _course_key,
    _CourseFactory,
)

__all__ = [
    "ArticleFactory",
    "ArticleRevisionFactory",
    "CourseTeamFactory",
    "CourseTeamMembershipFactory",
    "EmailOptInFactory",
    "LanguageProficiencyFactory",
]


class LanguageProficiencyFactory(DjangoModelFactory):
    """A language a learner speaks, on a new learner's profile by default."""

    class Meta:
        model = LanguageProficiency
        django_get_or_create = ("code", "user_profile")

    user_profile = factory.SubFactory(UserProfileFactory)
    code = "en"


class ArticleFactory(DjangoModelFactory):
    """A wiki article owned by a new user, with a first revision as its current one
    (``current_revision=False`` for none, ``current_revision__title=...``)."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    created = _JOINED
    modified = _ACTIVE
    owner = factory.SubFactory(UserFactory)
    group = None

    @factory.post_generation
    def current_revision(obj, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or extracted is False:
            return
        revision = extracted or ArticleRevisionFactory(article=obj, user=obj.owner, **kwargs)
        obj.current_revision = revision
        obj.save(update_fields=["current_revision"])


def _latest_revision(article: Article) -> ArticleRevision | None:
    return article.revisions.order_by("-revision_number").first()


class ArticleRevisionFactory(DjangoModelFactory):
    """The next revision of ``article`` (of a new article without revisions by default)."""

    class Meta:
        model = ArticleRevision

    article = factory.SubFactory(ArticleFactory, current_revision=False)
    previous_revision = factory.LazyAttribute(lambda r: _latest_revision(r.article))
    revision_number = factory.LazyAttribute(
        lambda r: r.previous_revision.revision_number + 1 if r.previous_revision else 1
    )
    user = factory.SubFactory(UserFactory)
    title = factory.Sequence("Course wiki page {}".format)
    content = "# Welcome\r\n\r\nNotes for the course.\r\n"
    user_message = ""
    automatic_log = ""
    ip_address = "192.0.2.10"
    created = _ACTIVE
    modified = _ACTIVE
    deleted = False
    locked = False


class CourseTeamFactory(_CourseFactory):
    """A team of the default course, in topic ``topic-1``, with no members yet."""

    class Meta:
        model = CourseTeam
        django_get_or_create = ("team_id",)

    team_id = factory.Sequence("team-{}".format)
    discussion_topic_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    name = factory.Sequence("Awesome Team {}".format)
    course_id = COURSE_KEY
    topic_id = "topic-1"
    date_created = _JOINED
    description = "A simple description"
    last_activity_at = _ACTIVE
    team_size = 0


class CourseTeamMembershipFactory(DjangoModelFactory):
    """A new learner's membership of a new team; the team's ``team_size`` counts it."""

    class Meta:
        model = CourseTeamMembership
        django_get_or_create = ("user", "team")
        skip_postgeneration_save = True

    team = factory.SubFactory(CourseTeamFactory)
    user = factory.SubFactory(UserFactory)
    date_joined = _JOINED
    last_activity_at = _ACTIVE

    @factory.post_generation
    def count_members(obj, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            CourseTeam.objects.filter(pk=obj.team_id).update(team_size=obj.team.memberships.count())
            obj.team.refresh_from_db(fields=["team_size"])


class EmailOptInFactory(_CourseFactory):
    """A new learner's opt-in for the default course's org, set by the learner (opted in).

    ``EmailOptInFactory(default=True)`` is a learner with no preference (the exporter's defaults);
    ``legacy=True`` a row of a 2016 list, which has no user_id or username.
    """

    class Meta:
        model = EmailOptIn
        # The e-mail too: legacy rows (no user) are keyed by it.
        django_get_or_create = ("org", "user", "email", "course_id")

    class Params:
        default = factory.Trait(
            is_opted_in_for_email=True, preference_recorded=False, preference_set_datetime=None
        )
        legacy = factory.Trait(user=None, username=None)

    org = factory.LazyAttribute(lambda o: str(_course_key(o.course_id).org).lower())
    user = factory.SubFactory(UserFactory)
    username = factory.LazyAttribute(lambda o: o.user.username if o.user else None)
    email = factory.LazyAttribute(lambda o: o.user.email if o.user else "learner@example.org")
    full_name = factory.LazyAttribute(lambda o: getattr(getattr(o.user, "profile", None), "name", ""))
    course_id = COURSE_KEY
    is_opted_in_for_email = True
    preference_recorded = True
    preference_set_datetime = _ACTIVE
