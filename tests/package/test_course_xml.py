"""The course an OLX export's course.xml names, read safely from the export's stream."""

import io
import tarfile

import pytest

from edx_schema.errors import FormatError, PackageError
from edx_schema.package.course import OlxCourse, olx_course, read_course_export, read_grading_policy
from edx_schema.package.course.course_xml import COURSE_XML_HEAD
from tests.package.exports import olx as export

LABEL = "pkg/UniversityX-CS-101x-3T2024-course-prod-analytics.xml.tar.gz"


COURSE_XML = '<course url_name="3T2024" org="UniversityX" course="CS-101x"/>\n'


def test_the_export_names_its_course_by_org_course_and_url_name():
    read = read_course_export(
        export({"3T2024/course.xml": COURSE_XML, "3T2024/policies/3T2024/grading_policy.json": "{}"}),
        label=LABEL,
    )
    course = read.course()
    assert course == OlxCourse(org="UniversityX", course="CS-101x", run="3T2024")
    assert course.course_id == "course-v1:UniversityX+CS-101x+3T2024"
    assert course.legacy_course_id == "UniversityX/CS-101x/3T2024"
    # What the exporter puts before "-course-prod-analytics.xml.tar.gz" in the member's name.
    assert course.entity == "UniversityX-CS-101x-3T2024"
    assert (read.grading_policy, read.course_xml) == ("{}", f"{LABEL}/3T2024/course.xml")


def test_the_top_course_xml_names_the_course_and_an_old_style_one_may_hold_the_whole_course():
    whole = '<course url_name="R" org="O" course="C">' + "<chapter/>" * 20_000 + "</course>"
    read = read_course_export(
        export(
            {
                "top/drafts/x/course.xml": '<course url_name="no" org="no" course="no"/>',
                "top/course.xml": whole,
            }
        ),
        label=LABEL,
    )
    assert len(whole) > COURSE_XML_HEAD
    assert read.course().course_id == "course-v1:O+C+R"
    assert read.course_xml == f"{LABEL}/top/course.xml"


def test_an_export_without_course_xml_says_so_when_asked_for_its_course():
    read = read_course_export(export({"t/grading_policy.json": "{}"}), label=LABEL)
    assert read.grading_policy is None  # a policy is looked for beside a course.xml only
    with pytest.raises(FormatError) as error:
        read.course()
    assert str(error.value) == f"{LABEL}: the export holds no course.xml to say which course it is"


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b']>\n<course url_name="&lol9;" org="O" course="C"/>\n'
)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (
            BILLION_LAUGHS,
            "line 2: a document type declaration (DOCTYPE), which course.xml never needs; refused",
        ),
        (
            b'<!DOCTYPE course SYSTEM "file:///etc/passwd"><course url_name="R" org="O" course="C"/>',
            "line 1: a document type declaration (DOCTYPE)",
        ),
        (
            b'<course url_name="&xxe;" org="O" course="C"/>',
            'line 1: not well-formed XML (undefined entity at column 1) (value: \'<course url_name="&xxe;"',
        ),
        (
            b'<?xml version="1.0"?>\n<course org="\xff" course="C" url_name="R"/>',
            "line 2: not well-formed XML (not well-formed (invalid token) at column 14)",
        ),
        (b"", "line 1: not well-formed XML (no element found at column 1)"),
        (b"<course", "not well-formed XML (unclosed token at column 1)"),
        (b"<!--" + b" " * COURSE_XML_HEAD, "the root element does not start within the first 65,536 bytes"),
        (b'<chapter url_name="R" org="O" course="C"/>', "the root element is 'chapter', not course"),
        (
            b'<course url_name="R"/>',
            "the root <course> element lacks org, course: it does not say which course it is",
        ),
        (b'<course url_name="" org="O" course="C"/>', "the root <course> element lacks url_name"),
        (
            b'<course url_name="R+x" org="O" course="C"/>',
            "the root <course> element's org, course and url_name make no course key "
            "(not a valid course key in either the old or the new format) (value: 'course-v1:O+C+R+x')",
        ),
        (
            b'<course url_name="' + b"r" * 300 + b'" org="O" course="C"/>',
            "make no course key (314 characters, longer than the column's 255)",
        ),
    ],
)
def test_course_xml_that_is_hostile_broken_or_silent_is_refused_naming_it(xml, message):
    head = xml[:COURSE_XML_HEAD]
    with pytest.raises(FormatError) as error:
        olx_course(head, file="x/course.xml", complete=len(xml) <= COURSE_XML_HEAD)
    assert str(error.value).startswith("x/course.xml")
    assert message in str(error.value)
    # In an export, the same course.xml fails only the request for the course: the policy, found
    # beside a top-level fallback, is read as ever.
    read = read_course_export(export({"t/course.xml": xml, "t/grading_policy.json": "{}"}), label=LABEL)
    assert read.grading_policy == "{}"
    with pytest.raises(FormatError) as error:
        read.course()
    assert str(error.value).startswith(f"{LABEL}/t/course.xml")
    assert message in str(error.value)


def test_a_utf16_course_xml_is_well_formed_xml_and_read():
    xml = '<?xml version="1.0" encoding="UTF-16"?>\n' + COURSE_XML
    course = olx_course(xml.encode("utf-16"), file="x", complete=True)
    assert course.course_id == "course-v1:UniversityX+CS-101x+3T2024"


def test_the_policy_still_follows_the_url_name_of_course_xml_whatever_else_it_lacks():
    read = read_course_export(
        export(
            {"t/course.xml": '<course url_name="r"/>', "t/policies/r/grading_policy.json": '{"GRADER": []}'}
        ),
        label=LABEL,
    )
    assert read.grading_policy == '{"GRADER": []}'
    with pytest.raises(FormatError, match="lacks org, course"):
        read.course()


class Generated(io.RawIOBase):
    """A stream of ``parts``, generated as it is read (never held whole)."""

    def __init__(self, parts) -> None:
        self.parts, self.current = iter(parts), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.current:
            self.current = next(self.parts, None)
            if self.current is None:
                return 0
        n = min(len(buffer), len(self.current))
        buffer[:n], self.current = self.current[:n], self.current[n:]
        return n


def test_a_huge_course_xml_is_read_no_further_than_its_head():
    # An old-style course.xml of 64 MB (the whole course inside its root): its root is read from
    # its first bytes, and the rest is skipped, never held.
    unit = b"<chapter/>" * 100_000
    body = [COURSE_XML.encode()[:-3] + b">", *[unit] * 64, b"</course>"]
    info = tarfile.TarInfo("t/course.xml")
    info.size = sum(map(len, body))
    end = b"\0" * (-info.size % tarfile.BLOCKSIZE + 2 * tarfile.BLOCKSIZE)
    stream = io.BufferedReader(Generated([info.tobuf(), *body, end]))
    read = read_course_export(stream, label=LABEL)
    assert read.course().course_id == "course-v1:UniversityX+CS-101x+3T2024"
    assert read.grading_policy is None


def test_a_damaged_export_is_refused_as_before():
    with pytest.raises(PackageError, match="not a readable course export"):
        read_course_export(io.BytesIO(b"not a tar"), label=LABEL)
    assert read_grading_policy(export({"t/course.xml": COURSE_XML}), label=LABEL) is None
