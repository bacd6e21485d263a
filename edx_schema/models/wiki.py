"""``wiki`` tables (django-wiki, the course wikis): articles and their revisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


def _optional_link(to: str, help_text: str) -> models.ForeignKey:
    """A nullable id of another row that exported files may name without shipping the row."""
    return models.ForeignKey(
        to,
        on_delete=models.SET_NULL,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        help_text=help_text,
    )


class Article(models.Model):
    """One wiki article; its text is in its revisions, the live one named by ``current_revision``.

    Table ``wiki_article``. The exporter selects a course's articles by the wiki slug (the course
    number), so the same articles ship with every run of that number, and Studio courses (whose
    slug is ``org.course.run``) usually ship none. Exported files may name a revision, a user or a
    group that is not there: the foreign keys have no database constraint.

    .. no_pii:
    """

    created = models.DateTimeField(default=timezone.now, help_text="When the article was created (UTC).")
    modified = models.DateTimeField(default=timezone.now, help_text="When the article last changed (UTC).")
    group_read = models.BooleanField(default=True, help_text="Whether the owning group may read it.")
    group_write = models.BooleanField(default=True, help_text="Whether the owning group may edit it.")
    other_read = models.BooleanField(default=True, help_text="Whether everyone else may read it.")
    other_write = models.BooleanField(default=True, help_text="Whether everyone else may edit it.")
    current_revision = models.OneToOneField(
        "ArticleRevision",
        on_delete=models.SET_NULL,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="current_of",
        help_text="The live revision (wiki_articlerevision.id); unique, NULL until one is loaded.",
    )
    group = _optional_link("auth.Group", "The owning group (auth_group.id), if any.")
    owner = _optional_link(settings.AUTH_USER_MODEL, "The user who owns the article (auth_user.id), if any.")

    class Meta:
        db_table = "wiki_article"
        verbose_name = "wiki article"

    def __str__(self) -> str:
        return f"Article {self.pk}"


class ArticleRevision(models.Model):
    """One saved version of a wiki article, numbered from 1 within the article.

    Table ``wiki_articlerevision``. ``content`` is the article's markdown (with ``\\r\\n`` line
    ends) as of this revision.

    .. pii: the text, title and edit message the user wrote, and the editor's IP address.
    .. pii_types: ip, other
    .. pii_retirement: local_api
    """

    revision_number = models.IntegerField(help_text="The revision's number within its article.")
    user_message = models.TextField(blank=True, help_text="The editor's note on the change. PII.")
    automatic_log = models.TextField(blank=True, help_text="A note the wiki wrote on the change.")
    ip_address = models.GenericIPAddressField(
        null=True, blank=True, help_text="The editor's IP address; NULL if not recorded. PII."
    )
    modified = models.DateTimeField(default=timezone.now, help_text="When the revision last changed (UTC).")
    created = models.DateTimeField(default=timezone.now, help_text="When the revision was saved (UTC).")
    deleted = models.BooleanField(default=False, help_text="Whether this revision deleted the article.")
    locked = models.BooleanField(default=False, help_text="Whether this revision locked the article.")
    content = models.TextField(blank=True, help_text="The article's markdown in this revision. PII.")
    title = models.CharField(max_length=512, help_text="The article's title in this revision. PII.")
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        db_constraint=False,
        # The unique (article_id, revision_number) key already indexes article_id first.
        db_index=False,
        related_name="revisions",
        help_text="The article (wiki_article.id).",
    )
    previous_revision = _optional_link(
        "self", "The revision this one replaced (wiki_articlerevision.id); NULL for the first."
    )
    user = _optional_link(settings.AUTH_USER_MODEL, "The editor (auth_user.id); NULL for anonymous edits.")

    class Meta:
        db_table = "wiki_articlerevision"
        constraints = [
            models.UniqueConstraint(
                fields=["article", "revision_number"],
                name="wiki_articlerevision_article_id_revision_number_uniq",
            )
        ]
        verbose_name = "wiki article revision"

    def __str__(self) -> str:
        return f"Article {self.article_id} revision {self.revision_number}"
