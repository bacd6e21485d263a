"""Write a realistic synthetic data package in the exact format of the edX research exporter.

For tests, demos and benchmarks: ``{org}-{date}/`` holding every member the exporter writes. Per
course: the tab-separated ``.sql`` tables (header row, ``NULL``, backslash escapes) of users to
grades, the wiki, teams, language proficiencies, staff and forum roles, credit eligibility,
cohorts and, for package dates of 2015-08 to 2018-04, the legacy verification status; the 21
ORA tables under ``ora/``; the course_structure JSON, the OLX ``.xml.tar.gz`` (the whole course,
capa problems and essay rubric included, with its ``grading_policy.json``) and the forum
``.mongo``. Per org: the e-mail opt-in CSV and, when the spec asks for events, the tracking logs
under ``events/`` (a gzip file a day). The same arguments always give the same bytes, and the
stored subsection grades are those the Open edX LMS computes from the package's own
studentmodule rows, ORA scores and course content.

The modules, by area: :mod:`.spec` (what to build), :mod:`.rows` (each table's row type, which
is its header), :mod:`.users`, :mod:`.content` (the course's blocks, capa problems, essay and
grading policy), :mod:`.courseware`, :mod:`.grades` (scores, subsection grades as the LMS computes
them and course grades by :class:`~edx_schema.grading.CourseGrader`), :mod:`.wiki`, :mod:`.teams`,
:mod:`.roles`, :mod:`.credit`, :mod:`.cohorts`, :mod:`.verification`, :mod:`.ora` (submissions)
and :mod:`.assessments` (ORA's assessments and workflows), :mod:`.documents` (course structure,
OLX, forum), :mod:`.optin`, :mod:`.events` (the tracking logs), :mod:`.output` (the text
format, zip, gpg) and :mod:`.package`, which puts them together.

Pure: no Django import.
"""

from .content import GRADING_POLICY
from .package import build_package
from .spec import BuiltPackage, Course, PackageSpec, default_courses

__all__ = ["GRADING_POLICY", "BuiltPackage", "Course", "PackageSpec", "build_package", "default_courses"]
