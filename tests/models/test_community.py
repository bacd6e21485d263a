"""wiki_article, wiki_articlerevision, student_languageproficiency and the teams tables."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from edx_schema.models import (
    Article,
    ArticleRevision,
    CourseTeam,
    CourseTeamMembership,
    LanguageProficiency,
)
from edx_schema.testing.factories import (
    ArticleFactory,
    ArticleRevisionFactory,
    CourseTeamFactory,
    CourseTeamMembershipFactory,
    LanguageProficiencyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

WHEN = datetime(2015, 9, 30, 21, 32, 17, 123456, tzinfo=UTC)
#: An id no row has: exported files name revisions, users and profiles that are not there.
MISSING = 987_654


def test_an_article_loads_before_its_revisions_and_is_then_pointed_at_its_current_one():
    article = Article.objects.create(created=WHEN, modified=WHEN, owner=None, group=None)
    assert Article.objects.get(pk=article.pk).current_revision is None
    revision = ArticleRevision.objects.create(
        article=article, revision_number=1, title="Home", content="Hi\r\nthere", created=WHEN, modified=WHEN
    )
    Article.objects.filter(pk=article.pk).update(current_revision=revision)
    loaded = ArticleRevision.objects.get(pk=revision.pk)
    assert Article.objects.get(pk=article.pk).current_revision_id == revision.pk
    assert (loaded.content, loaded.ip_address, loaded.user_id, loaded.previous_revision_id) == (
        "Hi\r\nthere",
        None,
        None,
        None,
    )
    assert (loaded.deleted, loaded.locked, loaded.user_message, loaded.automatic_log) == (
        False,
        False,
        "",
        "",
    )


def test_two_articles_cannot_share_a_current_revision():
    revision = ArticleRevisionFactory()
    Article.objects.filter(pk=revision.article_id).update(current_revision=revision)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(current_revision=revision)


def test_a_revision_number_is_unique_within_its_article_only():
    first = ArticleRevisionFactory(revision_number=1)
    ArticleRevisionFactory(revision_number=1)  # another article's first revision
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleRevisionFactory(article=first.article, revision_number=1)


def test_wiki_rows_may_name_revisions_users_and_groups_that_are_not_there():
    article = Article.objects.create(
        current_revision_id=MISSING, owner_id=MISSING, group_id=MISSING, created=WHEN, modified=WHEN
    )
    revision = ArticleRevision.objects.create(
        article_id=MISSING, previous_revision_id=MISSING, user_id=MISSING, revision_number=2, title="t"
    )
    assert Article.objects.get(pk=article.pk).owner_id == MISSING
    assert ArticleRevision.objects.get(pk=revision.pk).previous_revision_id == MISSING


def test_a_language_is_listed_once_per_profile():
    proficiency = LanguageProficiencyFactory(code="pt-br")
    LanguageProficiencyFactory(code="en", user_profile=proficiency.user_profile)
    with pytest.raises(IntegrityError), transaction.atomic():
        LanguageProficiency.objects.create(code="pt-br", user_profile=proficiency.user_profile)
    assert sorted(proficiency.user_profile.language_proficiencies.values_list("code", flat=True)) == [
        "en",
        "pt-br",
    ]


def test_a_language_row_may_name_a_profile_that_is_not_there():
    row = LanguageProficiency.objects.create(code="x" * 16, user_profile_id=MISSING)
    assert LanguageProficiency.objects.get(pk=row.pk).code == "x" * 16


def _team(**fields) -> CourseTeam:
    values = {
        "team_id": "team-a",
        "discussion_topic_id": "topic-a",
        "name": "A",
        "course_id": "course-v1:edX+DemoX+Demo_Course",
        "topic_id": "t1",
        "description": "",
        "last_activity_at": WHEN,
        **fields,
    }
    return CourseTeam.objects.create(**values)


def test_a_team_without_the_2019_column_is_not_organization_protected_and_has_no_members():
    team = CourseTeam.objects.get(pk=_team().pk)
    assert (team.organization_protected, team.team_size, team.country, team.language) == (False, 0, "", "")


@pytest.mark.parametrize("column", ["team_id", "discussion_topic_id"])
def test_team_ids_and_discussion_topics_are_unique(column):
    _team()
    other = {"team_id": "team-b", "discussion_topic_id": "topic-b"}
    other[column] = "team-a" if column == "team_id" else "topic-a"
    with pytest.raises(IntegrityError), transaction.atomic():
        _team(**other)


def test_a_learner_is_a_member_of_a_team_once_and_may_join_others():
    membership = CourseTeamMembershipFactory()
    CourseTeamMembershipFactory(user=membership.user)  # another team
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseTeamMembership.objects.create(
            user=membership.user, team=membership.team, date_joined=WHEN, last_activity_at=WHEN
        )


def test_a_membership_may_name_a_user_that_is_not_there():
    team = CourseTeamFactory()
    row = CourseTeamMembership.objects.create(user_id=MISSING, team=team, last_activity_at=WHEN)
    assert list(team.memberships.values_list("user_id", flat=True)) == [row.user_id]


def test_factories_keep_an_articles_revisions_and_a_teams_size_consistent():
    article = ArticleFactory()
    second = ArticleRevisionFactory(article=article)
    assert (article.current_revision.revision_number, second.revision_number) == (1, 2)
    assert second.previous_revision == article.current_revision
    team = CourseTeamFactory(course_id="MITx/6.002x/2012_Fall")
    for user in (UserFactory(), UserFactory()):
        CourseTeamMembershipFactory(team=team, user=user)
    team.refresh_from_db()
    assert team.team_size == team.memberships.count() == 2
