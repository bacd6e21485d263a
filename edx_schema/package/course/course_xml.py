"""An OLX export's ``course.xml``: the course its root element names, read safely.

The root is ``<course url_name="{run}" org="{org}" course="{number}"/>`` (an old export may hold
the whole course inside it). Only the start of the file is read, as far as the root's start tag,
by expat with no document type: a DOCTYPE (and with it every entity declaration, the billion
laughs and external entities) is refused, never expanded or fetched.

Pure: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.parsers import expat

from ...errors import FormatError, shown
from ..names import course_entity
from ..values import course_key_parser

#: How much of course.xml is read to find its root element (a real one is a line of ~80 bytes).
COURSE_XML_HEAD = 64 << 10
_ATTRIBUTES = ("org", "course", "url_name")


@dataclass(frozen=True)
class OlxCourse:
    """The course a course.xml names: its root's ``org``, ``course`` and ``url_name`` (the run)."""

    org: str
    course: str
    run: str

    @property
    def course_id(self) -> str:
        """The course key, ``course-v1:{org}+{course}+{run}`` (the form of every course since 2014)."""
        return f"course-v1:{self.org}+{self.course}+{self.run}"

    @property
    def legacy_course_id(self) -> str:
        """The same course's key in the old form, ``{org}/{course}/{run}``."""
        return f"{self.org}/{self.course}/{self.run}"

    @property
    def entity(self) -> str:
        """The ``{Org}-{course}-{run}`` prefix the exporter gives the course's member names."""
        return course_entity(org=self.org, course=self.course, run=self.run)


class _Found(Exception):
    """The root's start tag is parsed: nothing after it is read."""


class _Refused(Exception):
    """A construct course.xml must not hold."""


def root_element(head: bytes, *, file: str, complete: bool) -> tuple[str, dict[str, str]]:
    """The name and attributes of the root element of the XML document that starts with ``head``.

    ``complete`` says that ``head`` is the whole file. FormatError, naming ``file`` and the line,
    for a DOCTYPE or entity declaration, XML that is not well-formed before the root's start tag,
    or a root that does not start within ``head``.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    found: list[tuple[str, dict[str, str]]] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        found.append((name, attributes))
        raise _Found

    def refuse(*_args: object) -> None:
        raise _Refused

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(head, complete)
    except _Found:
        return found[0]
    except _Refused:
        raise FormatError(
            "a document type declaration (DOCTYPE), which course.xml never needs; refused, "
            "since its entities could expand without end or read other files",
            file=file,
            line=parser.CurrentLineNumber,
        ) from None
    except expat.ExpatError as error:
        raise not_well_formed(error, head, file=file) from None
    raise FormatError(
        f"the root element does not start within the first {COURSE_XML_HEAD:,} bytes", file=file
    )


def not_well_formed(error: expat.ExpatError, data: bytes, *, file: str) -> FormatError:
    """The FormatError for XML expat refused: the file, line, column and the text there."""
    lines = data.split(b"\n", error.lineno)
    line = lines[error.lineno - 1] if error.lineno <= len(lines) else b""
    start = max(error.offset - 20, 0)
    return FormatError(
        f"not well-formed XML ({expat.errors.messages[error.code]} at column {error.offset + 1})",
        file=file,
        line=error.lineno,
        value=line[start : start + 60].decode("utf-8", "backslashreplace"),
    )


def olx_course(head: bytes, *, file: str, complete: bool) -> OlxCourse:
    """The course named by the course.xml that starts with ``head`` (``complete``: all of it).

    FormatError naming ``file`` if it is not safe, well-formed XML (see :func:`root_element`),
    or (see :func:`course_of_root`) its root does not name a course.
    """
    name, attributes = root_element(head, file=file, complete=complete)
    return course_of_root(name, attributes, file=file)


def course_of_root(name: str, attributes: dict[str, str], *, file: str) -> OlxCourse:
    """The course course.xml's root element names: ``<course>`` with ``org``, ``course`` and
    ``url_name``. FormatError naming ``file`` if one is missing or empty, or they make no course key.
    """
    if name != "course":
        raise FormatError(f"the root element is {shown(name, 40)}, not course", file=file)
    missing = [attribute for attribute in _ATTRIBUTES if not attributes.get(attribute)]
    if missing:
        raise FormatError(
            f"the root <course> element lacks {', '.join(missing)}: it does not say which course it is",
            file=file,
        )
    course = OlxCourse(org=attributes["org"], course=attributes["course"], run=attributes["url_name"])
    try:
        _check_course_key(course.course_id)
    except ValueError as error:
        raise FormatError(
            f"the root <course> element's org, course and url_name make no course key ({error})",
            file=file,
            value=course.course_id[:100],  # enough to show; a message never holds it whole
        ) from None
    return course


_check_course_key = course_key_parser(max_length=255, nullable=False)
