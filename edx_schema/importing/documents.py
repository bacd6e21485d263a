"""Members that are documents, not TSV tables: a course's outline (``course_structure`` JSON), its
grading policy and content tree (in the OLX export) and the forum dump (``.mongo``).

Each is read as a stream by its decoder in ``package/`` and stored by its service, inside the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import BinaryIO

from ..errors import FormatError, PackageError, shown
from ..models import CourseBlock, CourseEnrollment
from ..package.course import CourseExport, Outline, read_course_export, read_course_structure
from ..package.forum import Post, read_posts
from ..package.source import Member
from ..services.course_tree import save_content
from ..services.forum import save_posts
from ..services.outline import save_grading_policy, save_outline
from .rows import LoadCounts

#: The members that are documents, and the table each fills.
DOCUMENT_MEMBERS = {
    "course_structure": "edx_schema_courseblock",
    "course_olx": "edx_schema_gradingpolicy",
    "forum": "edx_schema_forumpost",
}


def load_document(
    open_stream: Callable[[], AbstractContextManager[BinaryIO]],
    member: Member,
    *,
    label: str,
    course: str | None,
) -> LoadCounts:
    """Load a document member; ``course`` is its course as the package's tables name it, if known."""
    load = {"forum": _forum, "course_structure": _outline, "course_olx": _grading_policy}[member.name.kind]
    with open_stream() as stream:
        return load(stream, label=label, course=course, entity=member.name.entity)


def _forum(stream: BinaryIO, *, label: str, course: str | None, entity: str | None) -> LoadCounts:
    posts = _NotingCourse(read_posts(stream, label=label))
    saved = save_posts(posts=posts)
    return LoadCounts.of(saved, course_id=course or posts.least)


class _NotingCourse:
    """The posts, passed through; notes the least course id (a set of them would grow with the dump)."""

    def __init__(self, posts: Iterable[Post]) -> None:
        self.posts = posts
        self.least: str | None = None

    def __iter__(self) -> Iterator[Post]:
        for post in self.posts:
            if self.least is None or post.course_id < self.least:
                self.least = post.course_id
            yield post


def _outline(stream: BinaryIO, *, label: str, course: str | None, entity: str | None) -> LoadCounts:
    """The course's blocks: the whole course, or a fragment of it (loaded with a warning)."""
    outline = read_course_structure(stream, label=label)
    course = outline_course(outline, label=label, course=course)
    counts = LoadCounts.of(
        save_outline(course_id=course, blocks=outline, complete=not outline.fragment), course_id=course
    )
    counts.warnings = outline.warnings
    return counts


def outline_course(outline: Outline, *, label: str, course: str | None) -> str:
    """The course an outline is for: its own, or (a fragment of legacy keys, which lack the run)
    the course the package's tables name; PackageError if neither says."""
    course = outline.course_id or course
    if course is None:
        raise PackageError(
            f"{label}: a fragment of a course structure whose keys do not say the course's run, and "
            "no table of the package names its course; import it with the course's other files"
        )
    return course


def _grading_policy(stream: BinaryIO, *, label: str, course: str | None, entity: str | None) -> LoadCounts:
    export = read_course_export(stream, label=label)
    text = grading_policy_text(export, label=label)
    course = course or course_of_export(export, label=label, entity=entity, known=_known)
    saved = save_grading_policy(course_id=course, text=text, source=label)
    counts = LoadCounts.of(saved, course_id=course)
    tree = export.tree(course_id=course)  # the blocks' content, for grading from problem scores
    if tree is not None:
        save_content(course_id=course, tree=tree, source=label)
        counts.warnings = tree.warnings
    return counts


def grading_policy_text(export: CourseExport, *, label: str) -> str:
    """The export's grading_policy.json; PackageError if it has none."""
    if export.grading_policy is None:
        raise PackageError(
            f"{label}: the course export has no grading_policy.json; "
            "supply one with manage.py set_grading_policy"
        )
    return export.grading_policy


def _known(course_id: str) -> bool:
    """Whether the database knows a course by this key (its outline or an enrollment)."""
    models = (CourseBlock, CourseEnrollment)
    return any(model.objects.filter(course_id=course_id).exists() for model in models)


def course_of_export(
    export: CourseExport, *, label: str, entity: str | None, known: Callable[[str], bool]
) -> str:
    """The course an OLX export is for, when no table of the package names it: its course.xml's.

    The course.xml must name the course of the member's name (``{org}-{course}-{run}``). OLX
    does not say whether the course has a legacy key (``org/course/run``): it has if ``known``
    says the course is known by that key already, else it is ``course-v1:org+course+run``.
    """
    try:
        olx = export.course()
    except FormatError as error:
        raise PackageError(
            f"cannot tell which course this export is for (no table of the package has its course_id, "
            f"and its course.xml does not say: {error}); supply the policy with manage.py set_grading_policy"
        ) from None
    if olx.entity != entity:
        raise PackageError(
            f"{export.course_xml}: names the course {shown(olx.course_id)}, not the course of the file's "
            f"name ({shown(entity)}); supply the policy with manage.py set_grading_policy"
        )
    legacy = olx.legacy_course_id
    return legacy if known(legacy) else olx.course_id
