"""The course wiki: ``wiki_article`` and ``wiki_articlerevision``.

Each course has a small wiki: its home page (which the LMS creates with no owner, as an automatic
first revision) and two pages learners wrote, each with a revision history. An article names
its live revision (``current_revision_id``) and each revision its article, a cycle the importer
has to break; the markdown has ``\\r\\n`` line ends, as browsers post it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .output import Table
from .rows import WikiArticleRevisionRow, WikiArticleRow
from .spec import CourseRun, later


@dataclass(frozen=True)
class _Edit:
    """One revision of a page: who saved it (an enrolled learner by position, or nobody)."""

    editor: int | None  # index into the course's enrolled learners; None for the LMS itself
    ip_address: str | None
    user_message: str
    automatic_log: str
    content: str


@dataclass(frozen=True)
class _Page:
    title: str
    edits: tuple[_Edit, ...]
    other_write: int = 1


def _pages(number: str) -> tuple[_Page, ...]:
    """The course's wiki pages and their revisions, oldest first."""
    return (
        _Page(
            f"{number} wiki",
            (
                _Edit(
                    None, None, "Course page automatically created.", "", f"This is the wiki for {number}."
                ),
                _Edit(
                    0,
                    "10.0.2.15",
                    "Links to the syllabus",
                    "",
                    f"# {number}\r\n\r\n* [Syllabus](syllabus)\r\n* [Study groups](study-groups)\r\n",
                ),
            ),
        ),
        _Page(
            "Study groups",
            (
                _Edit(1, "2001:db8::1f", "", "", "Week 1: Tuesdays 18:00 UTC.\r\n"),
                _Edit(
                    2, "192.0.2.7", "Add Thursday", "", "Week 1: Tuesdays 18:00 UTC.\r\nThursdays too.\r\n"
                ),
                _Edit(
                    1,
                    None,
                    "Revert to revision 1",
                    "Reverted to revision 1.",
                    "Week 1: Tuesdays 18:00 UTC.\r\n\tRoom C:\\Labs \u2014 caf\u00e9 upstairs\r\n",
                ),
            ),
        ),
        _Page(
            "Errata",
            (_Edit(0, "10.0.2.15", "", "", "Problem 2: the answer is \\frac{1}{2}, not 2.\r\n"),),
            other_write=0,
        ),
    )


@dataclass(frozen=True)
class _Revision:
    """One revision as both files need it."""

    id: int
    number: int
    article_id: int
    previous_id: int | None
    created: str
    title: str
    edit: _Edit


def _revisions(run: CourseRun) -> Iterator[_Revision]:
    """Every revision of the course's wiki, by article and revision number (the files' order)."""
    revision_id = run.index * 1000
    when = str(run.spec.base)
    for index, page in enumerate(_pages(run.course.number)):
        previous = None
        for number, edit in enumerate(page.edits, start=1):
            revision_id += 1
            when = later(when, hours=13)
            yield _Revision(revision_id, number, _article_id(run, index), previous, when, page.title, edit)
            previous = revision_id


def _article_id(run: CourseRun, index: int) -> int:
    return run.index * 1000 + index + 1


def wiki_article(run: CourseRun) -> Table:
    """The course's articles: the home page has no owner, the others their first editor."""
    revisions = list(_revisions(run))  # a handful per course
    rows = []
    for index, page in enumerate(_pages(run.course.number)):
        article_id = _article_id(run, index)
        own = [r for r in revisions if r.article_id == article_id]
        first, current = own[0], own[-1]
        rows.append(
            WikiArticleRow(
                id=article_id,
                current_revision_id=current.id,
                created=first.created,
                modified=current.created,
                owner_id=_editor_id(run, first.edit),
                group_id=None,
                group_read=1,
                group_write=1,
                other_read=1,
                other_write=page.other_write,
            )
        )
    return Table("wiki_article", WikiArticleRow._fields, rows)


def wiki_articlerevision(run: CourseRun) -> Table:
    """Every revision: the editor (NULL for the LMS), their IP address (IPv4, IPv6 or NULL), the text."""
    rows = (
        WikiArticleRevisionRow(
            id=r.id,
            revision_number=r.number,
            user_message=r.edit.user_message,
            automatic_log=r.edit.automatic_log,
            ip_address=r.edit.ip_address,
            user_id=_editor_id(run, r.edit),
            modified=r.created,
            created=r.created,
            previous_revision_id=r.previous_id,
            deleted=0,
            locked=0,
            article_id=r.article_id,
            content=r.edit.content,
            title=r.title,
        )
        for r in _revisions(run)
    )
    return Table("wiki_articlerevision", WikiArticleRevisionRow._fields, rows)


def _editor_id(run: CourseRun, edit: _Edit) -> int | None:
    """The editor's user id: an enrolled learner (the first ones, in turn), or NULL."""
    if edit.editor is None or not run.enrolled:
        return None
    return run.enrolled[edit.editor % len(run.enrolled)].id
