"""The OLX export member, ``{course}-course-{site}-analytics.xml.tar.gz``: its grading policy and
the course its ``course.xml`` names.

The export's course tree (:mod:`.olx_tree`) is collected in the same pass, for grading from
problem scores. The policy is ``policies/{url_name}/grading_policy.json`` beside ``course.xml``, whose root's
``url_name`` names the folder (the LMS falls back to a top-level ``grading_policy.json``). The
top folder's name varies, so ``course.xml`` is located rather than assumed. The export is read
once, as a stream, keeping only the start of each course.xml and its small policy files.

Pure: no Django import.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import BinaryIO

from ...errors import FormatError, PackageError
from ..jsondoc import loads, utf8_error
from .course_xml import COURSE_XML_HEAD, OlxCourse, course_of_root, root_element
from .json_window import UTF8
from .olx_tree import MAX_XML_FILE_BYTES, TreeFiles
from .tarball import TAR_ERRORS, regular_files
from .tree import CourseTree

#: A grading_policy.json's size, at most (a real one is about 1 kB).
MAX_POLICY_BYTES = 1 << 20
#: All the grading_policy.json files an export may hold, together (read before the one that
#: counts is known).
MAX_POLICIES_BYTES = 16 << 20
#: course.xml and grading_policy.json files an export may hold (a real one: one of each).
MAX_POLICY_FILES = 1_000

_NAMES = frozenset({"course.xml", "grading_policy.json"})


def policy_text(data: bytes, *, file: str) -> str:
    """A grading_policy.json's text: UTF-8 (a BOM allowed), at most MAX_POLICY_BYTES, valid JSON.

    UTF-16 and other encodings are refused with a message that says the file is not UTF-8.
    """
    if len(data) > MAX_POLICY_BYTES:
        raise FormatError(
            f"larger than {MAX_POLICY_BYTES:,} bytes, the limit for a grading policy", file=file
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise FormatError(
            "not UTF-8 text: it holds NUL bytes or a UTF-16 byte order mark (UTF-16?)" + UTF8,
            file=file,
            line=data.count(b"\n", 0, max(data.find(b"\x00"), 0)) + 1,
            value=data[:20].decode("utf-8", "backslashreplace"),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise utf8_error(error, file=file, line=1, advice=UTF8) from None
    loads(text, file=file)  # held to jsondoc's rules, with line and JSON path in any error
    return text


@dataclass(frozen=True)
class _CourseXml:
    """What one course.xml says: its root's url_name (None if unreadable), and its course."""

    url_name: str | None
    course: OlxCourse | FormatError


def _course_xml(head: bytes, *, file: str, complete: bool) -> _CourseXml:
    try:
        name, attributes = root_element(head, file=file, complete=complete)
    except FormatError as error:
        return _CourseXml(None, error)
    try:
        return _CourseXml(attributes.get("url_name"), course_of_root(name, attributes, file=file))
    except FormatError as error:
        return _CourseXml(attributes.get("url_name"), error)


@dataclass(frozen=True)
class CourseExport:
    """What an OLX export holds: its grading policy's text (None if it has none), and its course.

    The course is read from the top course.xml (the one nearest the root, then by name); ask for
    it with :meth:`course`, which raises what is wrong with it, if anything.
    """

    label: str
    grading_policy: str | None
    course_xml: str | None  # the label of the course.xml that names the course
    _course: OlxCourse | FormatError | None = field(repr=False)
    _tree: TreeFiles | None = field(default=None, repr=False)

    def tree(self, *, course_id: str) -> CourseTree | None:
        """The export's course tree keyed for ``course_id`` (see :func:`.olx_tree.read_course_tree`)."""
        return self._tree.build(course_id=course_id) if self._tree is not None else None

    def course(self) -> OlxCourse:
        """The course the export's course.xml names.

        FormatError naming the export if it has no course.xml, or naming its course.xml if that
        is not safe, well-formed XML whose root ``<course>`` has ``org``, ``course`` and
        ``url_name`` making a course key.
        """
        if isinstance(self._course, FormatError):
            raise self._course
        if self._course is None:
            raise FormatError("the export holds no course.xml to say which course it is", file=self.label)
        return self._course


def read_course_export(stream: BinaryIO, *, label: str) -> CourseExport:
    """Read an OLX export's grading policy (checked by :func:`policy_text`) and its course.

    A tarball that is damaged, cut short or over the limits (MAX_POLICY_FILES course.xml and
    grading_policy.json files, MAX_POLICIES_BYTES of policies): PackageError naming ``label``.
    """
    courses: dict[str, _CourseXml] = {}  # by path
    policies: dict[str, bytes] = {}
    tree = TreeFiles(label)
    kept = 0
    try:
        for path, handle in regular_files(
            stream, wanted=lambda path: PurePosixPath(path).name in _NAMES or tree.wanted(path)
        ):
            if PurePosixPath(path).name not in _NAMES:
                tree.add(path, handle)
                continue
            if len(courses) + len(policies) >= MAX_POLICY_FILES:
                raise PackageError(
                    f"more than {MAX_POLICY_FILES:,} course.xml and grading_policy.json files, the limit"
                )
            if PurePosixPath(path).name == "course.xml":
                data = handle.read(MAX_XML_FILE_BYTES + 1)
                tree.add_bytes(path, data)
                head = data[: COURSE_XML_HEAD + 1]
                complete = len(head) <= COURSE_XML_HEAD
                courses[path] = _course_xml(head[:COURSE_XML_HEAD], file=f"{label}/{path}", complete=complete)
                continue
            # Only the first bytes past the limit: enough for policy_text to refuse it.
            data = handle.read(MAX_POLICY_BYTES + 1)
            kept += len(data)
            if kept > MAX_POLICIES_BYTES:
                raise PackageError(
                    f"more than {MAX_POLICIES_BYTES:,} bytes of grading_policy.json files, the limit"
                )
            policies[path] = data
    except PackageError as error:
        raise PackageError(f"{label}: {error}") from None
    except TAR_ERRORS as error:
        raise PackageError(f"{label}: not a readable course export (.tar.gz): {error}") from None
    top = min(courses, key=lambda path: (len(path), path), default=None)
    return CourseExport(
        label=label,
        grading_policy=_policy(courses, policies, label=label),
        course_xml=f"{label}/{top}" if top is not None else None,
        _course=courses[top].course if top is not None else None,
        _tree=tree,
    )


def _policy(courses: dict[str, _CourseXml], policies: dict[str, bytes], *, label: str) -> str | None:
    """The policy of the first course.xml (nearest the root) that has one beside it."""
    for course_xml in sorted(courses, key=len):
        top = PurePosixPath(course_xml).parent
        url_name = courses[course_xml].url_name
        candidates = [top / "policies" / url_name / "grading_policy.json"] if url_name else []
        candidates.append(top / "grading_policy.json")
        for candidate in map(str, candidates):
            if candidate in policies:
                return policy_text(policies[candidate], file=f"{label}/{candidate}")
    return None


def read_grading_policy(stream: BinaryIO, *, label: str) -> str | None:
    """The text of the OLX export's grading_policy.json, or None if the export has none.

    See :func:`read_course_export`, which reads the course too.
    """
    return read_course_export(stream, label=label).grading_policy
