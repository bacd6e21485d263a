"""The course tree in an OLX export, read as the LMS's XML import reads it.

``course.xml`` points at ``course/{url_name}.xml``; each element is either a *pointer*
(exactly a ``url_name`` attribute, no children, no text), whose definition is the file
``{tag}/{url_name with ':' as '/'}.xml``, or an *inline* definition, read in place. A legacy
``filename`` attribute names the definition file and its other attributes override it.
Attributes are the block's own settings, and ``policies/{course url_name}/policy.json``
(``"{tag}/{url_name}"`` keys) overrides them last. Children keep document order.

A problem's XML is reduced to its maximum score as soon as its file is read
(:mod:`.max_score`), so memory holds a few attributes per block, not the course's content.
Files are only read as a stream; a file no block points at may be broken without harm.

Pure: no Django import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, BinaryIO
from xml.etree import ElementTree
from xml.parsers import expat

from ...errors import FormatError, PackageError, shown
from ..jsondoc import loads
from ..values import usage_key_parser
from .course_xml import not_well_formed
from .max_score import ProblemError, capa_max_score, ora_max_score
from .tarball import TAR_ERRORS, regular_files
from .tree import CONTAINER_TYPES, CourseTree, SettingError, tree_block

#: One XML file's size, at most (a large problem is ~100 kB).
MAX_XML_FILE_BYTES = 16 << 20
#: One policy.json's size, at most.
MAX_POLICY_JSON_BYTES = 16 << 20
#: XML files an export may hold (a large course: ~10,000).
MAX_XML_FILES = 500_000
#: Blocks a course tree may hold, and how deep it may nest below the course.
MAX_TREE_BLOCKS = 500_000
MAX_TREE_DEPTH = 100
_check_key = usage_key_parser(max_length=255, nullable=False)
#: Folders of an export that hold no block definitions.
_NOT_BLOCKS = frozenset({"static", "policies", "drafts", "about", "info", "tabs", "assets"})
#: Attributes that place a definition rather than set anything.
_PLACING = frozenset({"url_name", "filename", "slug"})


@dataclass
class _Ref:
    """A child as its parent names it: a pointer (category, url_name), or an inline definition."""

    category: str
    name: str
    file: str  # where the parent is defined
    overlay: dict[str, str] = field(default_factory=dict)  # a legacy filename pointer's attributes
    inline: _Definition | None = None


@dataclass
class _Definition:
    """One block as its XML defines it."""

    category: str
    attributes: dict[str, str]
    children: list[_Ref]
    max_score: float | None
    file: str


class _Refused(Exception):
    pass


def parse_xml(data: bytes, *, file: str) -> ElementTree.Element:
    """``data`` as an element tree, by expat with no document type.

    FormatError naming ``file``, the line and the text there, for XML that is not well formed or
    holds a DOCTYPE (refused, never expanded: its entities could grow without end or read files).
    """
    builder = ElementTree.TreeBuilder()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True

    def refuse(*_args: object) -> None:
        raise _Refused

    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
        return builder.close()
    except _Refused:
        raise FormatError(
            "a document type declaration (DOCTYPE), which OLX never needs; refused, since its "
            "entities could expand without end or read other files",
            file=file,
            line=parser.CurrentLineNumber,
        ) from None
    except expat.ExpatError as error:
        raise not_well_formed(error, data, file=file) from None


def _is_pointer(element: ElementTree.Element, *, course: bool = False) -> bool:
    """``is_pointer_tag``: only ``url_name`` (for ``<course>``: also org and course), no content."""
    expected = {"url_name", "org", "course"} if course else {"url_name"}
    return set(element.attrib) == expected and len(element) == 0 and not element.text


def _settings(attributes: dict[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in attributes.items()
        if name not in _PLACING and not name.startswith(("xmlns", "{"))
    }


def _define(element: ElementTree.Element, *, file: str, depth: int = 0) -> _Definition:
    """A definition and its inline children; a problem or assessment reduced to its max score.

    FormatError naming the file and the block for a problem the LMS could not score.
    """
    if depth > MAX_TREE_DEPTH:
        raise FormatError(f"inline blocks nested more than {MAX_TREE_DEPTH} deep, the limit", file=file)
    category = element.tag
    max_score: float | None = None
    children: list[_Ref] = []
    try:
        if category == "problem":
            max_score = float(capa_max_score(element))
        elif category == "openassessment":
            max_score = float(ora_max_score(element))
    except ProblemError as error:
        raise FormatError(
            f"{category} {shown(element.get('url_name') or PurePosixPath(file).stem, 80)}: {error}",
            file=file,
            value=getattr(error, "value", None),
        ) from None
    if category in CONTAINER_TYPES:
        for position, child in enumerate(element):
            if not isinstance(child.tag, str):
                continue
            if _is_pointer(child):
                children.append(_Ref(child.tag, child.attrib["url_name"], file))
            elif "filename" in child.attrib:
                overlay = {k: v for k, v in child.attrib.items() if k != "filename"}
                name = child.attrib["filename"]
                children.append(_Ref(child.tag, name, file, overlay=overlay))
            else:
                inline = _define(child, file=file, depth=depth + 1)
                name = (
                    child.get("url_name") or f"{child.tag}_{depth + 1}_{position}_{PurePosixPath(file).stem}"
                )
                children.append(_Ref(child.tag, name, file, inline=inline))
    return _Definition(category, dict(element.attrib), children, max_score, file)


def _file_of(top: str, category: str, name: str) -> str:
    return (
        str(PurePosixPath(top, category, name.replace(":", "/") + ".xml"))
        if top
        else (f"{category}/{name.replace(':', '/')}.xml")
    )


def _wanted(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if parts[-1] == "policy.json":
        return len(parts) >= 3 and parts[-3] == "policies"
    return parts[-1].endswith(".xml") and not _NOT_BLOCKS.intersection(parts[:-1])


def usage_key_maker(course_id: str):  # type: ignore[no-untyped-def]
    """How the course's blocks are keyed: ``block-v1:`` for a ``course-v1:`` course, else ``i4x://``."""
    if course_id.startswith("course-v1:"):
        body = course_id.split(":", 1)[1]
        return lambda category, name: f"block-v1:{body}+type@{category}+block@{name}"
    org, number, _run = course_id.split("/")
    return lambda category, name: f"i4x://{org}/{number}/{category}/{name}"


class TreeFiles:
    """The block definitions and policies of an export, collected as its stream passes.

    :meth:`wanted` says which files to hand to :meth:`add`; :meth:`build` makes the tree once
    the whole stream is read (tarball order is arbitrary, so pointers resolve at the end).
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.parsed: dict[str, _Definition | FormatError] = {}
        self.policies: dict[str, bytes] = {}
        self.course_xmls: list[str] = []

    wanted = staticmethod(_wanted)

    def add(self, path: str, handle: BinaryIO) -> None:
        """Read one wanted file (PackageError past MAX_XML_FILES)."""
        limit = MAX_POLICY_JSON_BYTES if path.endswith(".json") else MAX_XML_FILE_BYTES
        self.add_bytes(path, handle.read(limit + 1))

    def add_bytes(self, path: str, data: bytes) -> None:
        if len(self.parsed) + len(self.policies) >= MAX_XML_FILES:
            raise PackageError(f"more than {MAX_XML_FILES:,} XML files, the limit")
        file = f"{self.label}/{path}"
        limit = MAX_POLICY_JSON_BYTES if path.endswith(".json") else MAX_XML_FILE_BYTES
        if len(data) > limit:
            self.parsed[path] = FormatError(f"larger than {limit:,} bytes, the limit", file=file)
        elif path.endswith(".json"):
            self.policies[path] = data
        else:
            if PurePosixPath(path).name == "course.xml":
                self.course_xmls.append(path)
            try:
                self.parsed[path] = _define(parse_xml(data, file=file), file=file)
            except FormatError as error:
                self.parsed[path] = error  # raised only if a block is defined here

    def build(self, *, course_id: str) -> CourseTree | None:
        """The tree, keyed for ``course_id``; None (with nothing to grade from) if the export
        holds no course.xml or no definition of the course it points at."""
        if not self.course_xmls:
            return None
        top_xml = min(self.course_xmls, key=lambda path: (len(PurePosixPath(path).parts), path))
        top = str(PurePosixPath(top_xml).parent)
        return _Builder(self.label, self.parsed, self.policies, course_id, top).build(top_xml)


def read_course_tree(stream: BinaryIO, *, label: str, course_id: str) -> CourseTree | None:
    """The course tree of the OLX export ``stream`` (named ``label``), keyed for ``course_id``.

    FormatError naming the file (and block) for a referenced definition that is not well-formed
    XML, a setting the LMS could not read, or a problem it could not score; PackageError for a
    damaged tarball or one over the limits. A pointer to a file the export lacks is left out
    with a warning, as the LMS leaves out a block it cannot load. None if the export holds no
    course.xml or no definition of the course.
    """
    files = TreeFiles(label)
    try:
        for path, handle in regular_files(stream, wanted=files.wanted):
            files.add(path, handle)
    except PackageError as error:
        raise PackageError(f"{label}: {error}") from None
    except TAR_ERRORS as error:
        raise PackageError(f"{label}: not a readable course export (.tar.gz): {error}") from None
    return files.build(course_id=course_id)


class _Builder:
    """Resolves pointers from course.xml down and makes the tree's blocks."""

    def __init__(
        self,
        label: str,
        parsed: dict[str, _Definition | FormatError],
        policies: dict[str, bytes],
        course_id: str,
        top: str,
    ) -> None:
        self.label, self.parsed, self.policies, self.course_id = label, parsed, policies, course_id
        self.top = "" if top == "." else top
        self.key = usage_key_maker(course_id)
        self.warnings: list[str] = []
        self.policy: dict[str, Any] = {}

    def _definition(self, path: str) -> _Definition | None:
        found = self.parsed.get(path)
        if isinstance(found, FormatError):
            raise found
        return found

    def build(self, course_xml: str) -> CourseTree | None:
        root = self._definition(course_xml)
        if root is None or root.category != "course":
            return None
        url_name = root.attributes.get("url_name") or ""
        if not root.children and set(root.attributes) <= {"url_name", "org", "course"}:
            pointed = self._definition(_file_of(self.top, "course", url_name))
            if pointed is None:  # an export of the policy alone: no tree to grade from
                return None
            root = _Definition("course", {**pointed.attributes}, pointed.children, None, pointed.file)
        self.policy = self._read_policy(url_name)
        if self.course_id.startswith("course-v1:"):
            root_key = self.key("course", "course")
        else:
            root_key = self.key("course", self.course_id.split("/")[2])
        blocks = {}
        # Iterative: (ref or root, key); each block once, at its first place (the LMS's DAG rule).
        pending: list[tuple[str, str, _Definition, dict[str, str], int]] = [(root_key, url_name, root, {}, 0)]
        while pending:
            key, name, definition, overlay, depth = pending.pop()
            if key in blocks:
                continue
            if len(blocks) >= MAX_TREE_BLOCKS:
                raise PackageError(
                    f"{self.label}: more than {MAX_TREE_BLOCKS:,} blocks in the course, the limit"
                )
            if depth > MAX_TREE_DEPTH:
                raise FormatError(
                    f"the course tree is more than {MAX_TREE_DEPTH} levels deep, the limit",
                    file=definition.file,
                )
            children: list[tuple[str, str, _Definition, dict[str, str]]] = []
            for ref in definition.children:
                resolved = self._resolve(ref)
                if resolved is not None:
                    child_name, child_definition = resolved
                    children.append(
                        (self.key(ref.category, child_name), child_name, child_definition, ref.overlay)
                    )
            try:
                _check_key(key)
            except ValueError as error:
                raise FormatError(
                    f"{definition.category} {shown(name, 80)}: its url_name makes no usage key ({error})",
                    file=definition.file,
                    value=name,
                ) from None
            settings = {**_settings(definition.attributes), **overlay}
            settings.update(self.policy.get(f"{definition.category}/{name}", {}))
            try:
                blocks[key] = tree_block(
                    usage_key=key,
                    category=definition.category,
                    children=[child[0] for child in children],
                    settings=settings,
                    max_score=definition.max_score,
                    group_children=self._groups(settings, [child[:2] for child in children], definition.file),
                )
            except SettingError as error:
                raise FormatError(
                    f"{definition.category} {shown(name, 80)}: {error}",
                    file=definition.file,
                    value=error.value,
                ) from None
            pending.extend((k, n, d, o, depth + 1) for k, n, d, o in reversed(children))
        return CourseTree(course_key=self.course_id, root=root_key, blocks=blocks, warnings=self.warnings)

    def _resolve(self, ref: _Ref) -> tuple[str, _Definition] | None:
        if ref.inline is not None:
            return ref.name, ref.inline
        path = _file_of(self.top, ref.category, ref.name)
        definition = self._definition(path)
        if definition is None:
            self.warnings.append(
                f"{ref.file}: points at {ref.category} {shown(ref.name, 80)}, but the export has no "
                f"{path}; left out, as the LMS leaves out a block it cannot load"
            )
            return None
        name = definition.attributes.get("url_name") if ref.overlay else None
        return (ref.overlay.get("url_name") or name or ref.name), definition

    def _groups(self, settings: dict[str, Any], children: list[tuple[str, str]], file: str) -> dict[int, str]:
        """A split test's ``group_id_to_child`` with each child as its usage key here (OLX may
        give it as a key of another form, or a url_name)."""
        raw = settings.get("group_id_to_child")
        if not raw:
            return {}
        from .tree import group_id_to_child

        by_name = {name: key for key, name in children}
        result = {}
        for group, child in group_id_to_child(raw).items():
            name = (
                child.rsplit("block@", 1)[-1] if "block@" in child else child.rstrip("/").rsplit("/", 1)[-1]
            )
            if name in by_name:
                result[group] = by_name[name]
            else:
                self.warnings.append(
                    f"{file}: a split test's group {group} names {shown(child, 80)}, not one of its children"
                )
        return result

    def _read_policy(self, url_name: str) -> dict[str, Any]:
        path = (
            str(PurePosixPath(self.top, "policies", url_name, "policy.json"))
            if self.top
            else (f"policies/{url_name}/policy.json")
        )
        data = self.policies.get(path)
        if data is None:
            return {}
        file = f"{self.label}/{path}"
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FormatError("not UTF-8 text", file=file) from None
        policy = loads(text, file=file)
        if not isinstance(policy, dict) or not all(isinstance(v, dict) for v in policy.values()):
            raise FormatError(
                'policy.json is a JSON object of "{type}/{url_name}" to an object of settings',
                file=file,
                value=json.dumps(policy)[:80],
            )
        return policy
