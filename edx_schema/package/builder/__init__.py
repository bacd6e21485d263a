"""Write a realistic synthetic data package in the exact format of the edX research exporter.

For tests, demos and benchmarks: ``{org}-{date}/`` holding, per course, the tab-separated
``.sql`` tables (header row, ``NULL``, backslash escapes), ``ora/`` submissions tables, the
course_structure JSON and the OLX ``.xml.tar.gz`` with its ``grading_policy.json``, plus a forum
``.mongo`` and a wiki table that the importer reports as skipped. The same arguments always give
the same bytes.

The modules, by area: :mod:`.spec` (what to build), :mod:`.rows` (each table's row type, which
is its header), :mod:`.users`, :mod:`.courseware`, :mod:`.grades` (scores, the grading policy
and course grades by :class:`~edx_schema.grading.CourseGrader`), :mod:`.ora`, :mod:`.documents`
(course structure, OLX, forum), :mod:`.output` (the text format, zip, gpg) and :mod:`.package`,
which puts them together.

Pure: no Django import.
"""

from .grades import GRADING_POLICY
from .package import build_package
from .spec import BuiltPackage, Course, PackageSpec, default_courses

__all__ = ["GRADING_POLICY", "BuiltPackage", "Course", "PackageSpec", "build_package", "default_courses"]
