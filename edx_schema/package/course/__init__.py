"""The two course members of a package that are not tables: the course structure and the OLX export.

- ``{course}-course_structure-{site}-analytics.json`` (:mod:`.structure`): the course's blocks,
  read into an :class:`~.outline.Outline` in course order;
- ``{course}-course-{site}-analytics.xml.tar.gz`` (:mod:`.olx`): the OLX export, whose
  ``grading_policy.json`` is the grading policy and whose ``course.xml`` (:mod:`.course_xml`)
  names the course.

Both are read in bounded memory whatever they hold: the structure block by block
(:mod:`.json_window`), the export as a stream keeping only its small files (:mod:`.tarball`).
Text is UTF-8, with or without a byte order mark; anything else (UTF-16 included) is refused.

Pure: no Django import.
"""

from .blocks import Block, weight_of
from .course_xml import OlxCourse, olx_course
from .olx import MAX_POLICY_BYTES, CourseExport, policy_text, read_course_export, read_grading_policy
from .outline import Outline
from .structure import read_course_structure

__all__ = [
    "MAX_POLICY_BYTES",
    "Block",
    "CourseExport",
    "OlxCourse",
    "Outline",
    "olx_course",
    "policy_text",
    "read_course_export",
    "read_course_structure",
    "read_grading_policy",
    "weight_of",
]
