"""The members that are documents, not tables: course_structure JSON, OLX tar.gz, forum ``.mongo``."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from .assessments import RUBRIC
from .content import GRADING_POLICY, Block, CourseContent, content_of, training_examples
from .spec import CourseRun


def course_structure(folder: Path, run: CourseRun) -> None:
    """``{entity}-course_structure-prod-analytics.json``: every block, its children and own settings.

    As ``dump_course_structure`` writes it: ``category``, ``children`` (usage keys, in order) and
    ``metadata``, the settings set on the block itself (none inherited).
    """
    content = content_of(run)
    blocks: dict[str, dict[str, Any]] = {}
    for block in content.root.walk():
        blocks[content.usage_key(block)] = {
            "category": block.category,
            "children": [content.usage_key(child) for child in block.children],
            "metadata": {"display_name": block.display_name, **block.settings},
        }
    path = folder / f"{run.course.entity}-course_structure-prod-analytics.json"
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(blocks, indent=2, sort_keys=True))


def _attribute(value: Any) -> str:
    """A setting as an OLX attribute holds it: booleans and lists as JSON, numbers as Python writes them."""
    text = json.dumps(value) if isinstance(value, bool | list | dict) else str(value)
    return escape(text, {'"': "&quot;"})


def _open_tag(tag: str, attributes: dict[str, Any], *, empty: bool = False) -> str:
    text = "".join(f' {name}="{_attribute(value)}"' for name, value in attributes.items())
    return f"<{tag}{text}{'/' if empty else ''}>"


def _definition(block: Block, body: str) -> str:
    """A block's definition file: its element with its settings, then ``body`` (its children or content)."""
    attributes = {"display_name": block.display_name, **block.settings}
    if not body:
        return _open_tag(block.category, attributes, empty=True) + "\n"
    return f"{_open_tag(block.category, attributes)}\n{body}</{block.category}>\n"


def _pointers(block: Block) -> str:
    return "".join(f'  <{child.category} url_name="{child.url_name}"/>\n' for child in block.children)


def _problem_xml(content: CourseContent, block: Block) -> str:
    problem = next(p for p in content.problems if p.url_name == block.url_name)
    return _definition(block, f"  {problem.template.body}\n")


def _essay_xml(block: Block) -> str:
    """ORA's definition: the prompt, the assessment steps and the rubric (its points decide its maximum)."""
    parts = [
        "  <title>Essay</title>\n",
        "  <assessments>\n",
        '    <assessment name="student-training">\n',
    ]
    for answer, selected in training_examples():
        parts.append(
            f"      <example>\n        <answer>\n          <part>{escape(answer)}</part>\n        </answer>\n"
        )
        parts.extend(f'        <select criterion="{c}" option="{o}"/>\n' for c, o in selected)
        parts.append("      </example>\n")
    parts += [
        "    </assessment>\n",
        '    <assessment name="peer-assessment" must_grade="1" must_be_graded_by="1"/>\n',
        '    <assessment name="self-assessment"/>\n',
        "  </assessments>\n",
        "  <prompts>\n    <prompt>\n      <description>Explain recursion to a friend.</description>\n"
        "    </prompt>\n  </prompts>\n",
        "  <rubric>\n",
    ]
    for criterion in RUBRIC:
        parts.append(
            f'    <criterion feedback="optional">\n      <name>{escape(criterion.name)}</name>\n'
            f"      <label>{escape(criterion.label)}</label>\n"
            f"      <prompt>{escape(criterion.prompt)}</prompt>\n"
        )
        parts.extend(
            f'      <option points="{option.points}">\n        <name>{escape(option.name)}</name>\n'
            f"        <label>{escape(option.label)}</label>\n"
            f"        <explanation>{escape(option.explanation)}</explanation>\n      </option>\n"
            for option in criterion.options
        )
        parts.append("    </criterion>\n")
    parts.append("  </rubric>\n")
    return _definition(block, "".join(parts))


def olx_files(run: CourseRun) -> dict[str, str]:
    """The course's OLX export, Studio's way, by path under its top folder.

    ``course.xml`` names the course; every block is a pointer (``<tag url_name=".."/>``) in its
    parent's file to its own ``{tag}/{url_name}.xml``, its settings in its element's attributes.
    Problems hold their capa XML, the essay its rubric; html keeps its text in a ``.html`` file.
    ``policies/{run}/`` holds the course's settings (policy.json) and its grading policy.
    """
    content = content_of(run)
    course = run.course
    root = content.root
    files = {"course.xml": f'<course url_name="{course.run}" org="{course.org}" course="{course.number}"/>\n'}
    for block in root.walk():
        path = f"{block.category}/{block.url_name}.xml"
        if block is root:
            files[path] = _definition(Block("course", root.url_name, root.display_name), _pointers(root))
        elif block.category == "problem":
            files[path] = _problem_xml(content, block)
        elif block.category == "openassessment":
            files[path] = _essay_xml(block)
        elif block.category == "html":
            # Studio's html: the element names the file that holds the text.
            files[path] = (
                _open_tag(
                    "html", {"filename": block.url_name, "display_name": block.display_name}, empty=True
                )
                + "\n"
            )
            files[f"html/{block.url_name}.html"] = (
                "<p>Welcome! Each homework has a video, problems to solve and, this week, an essay.</p>\n"
            )
        else:
            files[path] = _definition(block, _pointers(block))
    settings = {f"course/{course.run}": {"display_name": root.display_name, **root.settings}}
    files[f"policies/{course.run}/policy.json"] = json.dumps(settings, indent=4, sort_keys=True)
    files[f"policies/{course.run}/grading_policy.json"] = json.dumps(GRADING_POLICY, indent=4, sort_keys=True)
    return files


def course_olx(folder: Path, run: CourseRun) -> None:
    """``{entity}-course-prod-analytics.xml.tar.gz``: the course's OLX export (no static files)."""
    course = run.course
    top = f"{course.org}-{course.number}-{course.run}".replace(".", "_")
    target = folder / f"{course.entity}-course-prod-analytics.xml.tar.gz"
    # gzip with mtime 0 and tar entries dated 0: the same course always gives the same bytes.
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w") as archive,
    ):
        for path, text in olx_files(run).items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))


def forum(folder: Path, run: CourseRun) -> None:
    """``{entity}-prod.mongo``: a thread by the first learner and a comment by the second (or first).

    Their text and dates take the forms the dumps hold: quotes, backslashes, a newline, a TAB,
    ``NULL``, non-ASCII and an astral emoji; ``$date`` as a number, a ``$numberLong`` and ISO text.
    """
    course_key = run.course.key
    thread_id = f"52b0c0b5e4b0c2a0a80000{run.index:02d}"
    author, commenter = run.learners[0], run.learners[min(1, len(run.learners) - 1)]
    posts = [
        {
            "_id": {"$oid": thread_id},
            "_type": "CommentThread",
            "course_id": course_key,
            "author_id": str(author.id),
            "author_username": author.username,
            "thread_type": "question",
            "title": 'Problem 2, "part b"?',
            "created_at": {"$date": 1387000000000},
            "updated_at": {"$date": "2013-12-14T06:00:00.123Z"},
            "body": "Hello, all: is C:\\ a path?",
        },
        {
            "_id": {"$oid": f"52b0c0b5e4b0c2a0a80001{run.index:02d}"},
            "_type": "Comment",
            "course_id": course_key,
            "author_id": str(commenter.id),
            "author_username": commenter.username,
            "comment_thread_id": {"$oid": thread_id},
            "created_at": {"$date": {"$numberLong": "1387483835043"}},
            "updated_at": {"$date": 1387483835043},
            "body": "Yes \u2014 see \\frac{1}{2}\nand NULL,\ttoo. Caf\u00e9 \ud83d\ude00",
        },
    ]
    with open(folder / f"{run.course.entity}-prod.mongo", "w", encoding="utf-8") as out:
        out.write("".join(json.dumps(post) + "\n" for post in posts))
