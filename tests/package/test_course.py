"""Reading the course outline JSON and the grading policy from an OLX export."""

import bz2
import io
import json
import tarfile

import pytest

from edx_schema.errors import FormatError, PackageError
from edx_schema.package.course import olx as course_olx
from edx_schema.package.course import outline, read_course_structure, read_grading_policy, structure, tarball
from tests.package.exports import olx
from tests.package.memory import peak_megabytes


def key(category: str, name: str) -> str:
    return f"block-v1:O+C+R+type@{category}+block@{name}"


COURSE = key("course", "course")


def as_json(blocks: dict, *, indent: int | None = 2) -> io.BytesIO:
    # As dump_course_structure writes it: indented, keys sorted; with a BOM, which is allowed.
    return io.BytesIO(("\ufeff" + json.dumps(blocks, indent=indent, sort_keys=True)).encode())


def test_blocks_come_in_course_order_with_inherited_settings_and_a_shared_block_counts_once():
    c, ch1, ch2 = COURSE, key("chapter", "ch1"), key("chapter", "ch2")
    s1, s2, s3 = key("sequential", "s1"), key("sequential", "s2"), key("sequential", "s3")
    orphan = key("html", "orphan")
    blocks = {
        c: {"category": "course", "children": [ch1, ch2], "metadata": {"display_name": "C", "start": "2024"}},
        ch1: {"category": "chapter", "children": [s1, s2], "metadata": {"graded": True}},
        ch2: {"category": "chapter", "children": [s1, s3, key("html", "missing")], "metadata": {}},
        s1: {"category": "sequential", "children": [], "metadata": {"format": "Homework", "graded": True}},
        s2: {"category": "sequential", "children": [], "metadata": {"format": "Exam"}},
        s3: {"category": "sequential", "children": [], "metadata": {"graded": "false"}},
        orphan: {"category": "html", "children": [], "metadata": {"graded": True}},
    }
    read = read_course_structure(as_json(blocks), label="x.json")
    assert [b.usage_key for b in read] == [c, ch1, s1, s2, ch2, s3, orphan]
    assert len(read) == 7
    first, second, third = read[2], read[3], read[5]
    assert (first.parent, first.depth, first.format, first.graded) == (ch1, 2, "Homework", True)
    assert (second.format, second.graded) == ("Exam", True)  # graded inherited from its chapter
    assert third.graded is False  # "false", as XBlock's Boolean field reads it
    assert first.inherited["start"] == "2024"
    assert read[-1].parent is None  # not in the course: no parent, inherits nothing
    assert read[-1].graded is False
    # Random access gives what iteration gives.
    assert [read[i] for i in range(len(read))] == list(read) == read[:]


def test_a_structure_as_one_compact_line_reads_the_same():
    blocks = {COURSE: {"category": "course", "children": [key("chapter", "a")]}, key("chapter", "a"): {}}
    read = list(read_course_structure(as_json(blocks, indent=None), label="x.json"))
    assert [(b.usage_key, b.category, b.depth, b.metadata) for b in read] == [
        (COURSE, "course", 0, {}),
        (key("chapter", "a"), "", 1, {}),
    ]


#: Where each limit is.
LIMITS = {
    "MAX_BLOCK_CHARS": structure,
    "MAX_BLOCK_KEYS": structure,
    "MAX_CHILDREN": structure,
    "MAX_SETTINGS_BYTES": structure,
    "MAX_OUTLINE_DEPTH": outline,
    "MAX_TAR_HEADER_BYTES": tarball,
    "MAX_POLICY_BYTES": course_olx,
    "MAX_POLICIES_BYTES": course_olx,
    "MAX_POLICY_FILES": course_olx,
}


def refusal(data: bytes | dict, **limits) -> str:
    stream = as_json(data) if isinstance(data, dict) else io.BytesIO(data)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in limits.items():
            patch.setattr(LIMITS[name], name, value)
        with pytest.raises(FormatError) as error:
            list(read_course_structure(stream, label="x.json"))
    return str(error.value)


def with_course(block_key: str, block: object) -> dict:
    return {COURSE: {"category": "course", "children": [block_key]}, block_key: block}


P = key("problem", "p")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"not json",
            "x.json, line 1: not a course structure JSON file: a course structure is a JSON object",
        ),
        (b"[]", "keyed by usage key"),
        (b"", "keyed by usage key"),
        ({}, "x.json: the course structure holds no blocks"),
        (
            {COURSE: {"category": "course"}, key("course", "b"): {"category": "course"}},
            "x.json: expected one block of category 'course' at most, found 2 "
            "(value: 'block-v1:O+C+R+type@course+block@b, block-v1:O+C+R+type@course+block@course')",
        ),
        (
            {"not a key": {"category": "course"}},
            'x.json, line 2, at $["not a key"]: the block\'s id is not a valid usage key in either the old '
            "or the new format (value: 'not a key')",
        ),
        (
            {"i4x://O/C/problem/" + "p" * 300: {}},
            "the block's id is 318 characters, longer than the column's 255",
        ),
        (
            with_course(P, True),
            f'x.json, line 8, at $["{P}"]: a block is a JSON object with category, children and metadata '
            "(value: 'true')",
        ),
        (
            with_course(P, {"metadata": True}),
            f"at $[\"{P}\"].metadata: metadata is a JSON object (value: 'true')",
        ),
        (with_course(P, {"metadata": [1]}), "metadata is a JSON object (value: '[1]')"),
        (with_course(P, {"children": True}), f'at $["{P}"].children: children is a list of usage keys'),
        (with_course(P, {"children": {"a": 1}}), "children is a list of usage keys (value: '{\"a\": 1}')"),
        (with_course(P, {"children": ["x", 5]}), f'at $["{P}"].children[1]: a child is a usage key'),
        (with_course(P, {"category": ["problem"]}), f'at $["{P}"].category: category is text'),
        (
            with_course(P, {"metadata": {"display_name": {"en": "x"}}}),
            f'at $["{P}"].metadata.display_name: display_name is text (value: \'{{"en": "x"}}\')',
        ),
        (
            with_course(P, {"metadata": {"graded": []}}),
            "metadata.graded: graded is true or false (value: '[]')",
        ),
        (with_course(P, {"metadata": {"format": True}}), "metadata.format: format is text (value: 'true')"),
        (with_course(P, {"metadata": {"due": [2024]}}), "metadata.due: due is text"),
        (
            with_course(P, {"metadata": {"weight": "heavy"}}),
            "metadata.weight: a weight is a number (value: '\"heavy\"')",
        ),
        (
            with_course(P, {"metadata": {"weight": True}}),
            "metadata.weight: a weight is a number (value: 'true')",
        ),
        (with_course(P, {"metadata": {"weight": "inf"}}), "metadata.weight: a weight is a finite number"),
    ],
)
def test_a_broken_structure_is_refused_naming_the_block_and_the_value(data, message):
    assert message in refusal(data)


def test_json_the_database_cannot_hold_is_refused_naming_the_block():
    deep = {"a": 1}
    for _ in range(40):
        deep = {"a": deep}
    assert f'at $["{P}"]: JSON nested deeper than 32 levels' in refusal(with_course(P, {"metadata": deep}))
    text = json.dumps(with_course(P, {"metadata": {"x": "Y"}}))
    for bad, what in (
        (r'"\ud800"', "a string with an unpaired UTF-16 surrogate"),
        ("NaN", "a number JSON cannot hold"),
    ):
        assert f'at $["{P}"].metadata.x: {what}' in refusal(text.replace('"Y"', bad).encode())
    # Thousands of levels: the limit, not Python's recursion limit.
    assert "nested deeper than 32 levels" in refusal(b'{"' + P.encode() + b'": ' + b"[" * 50_000)


def test_malformed_or_truncated_json_names_the_line():
    text = json.dumps(with_course(P, {"category": "problem"}), indent=2).encode()
    assert refusal(text[:-10]).startswith(
        "x.json, line 9: not a course structure JSON file (Unterminated string starting at column 17)"
    )
    assert refusal(text + b" {}").startswith("x.json, line 11: text after the end of the course structure")
    assert refusal(text.replace(b'"category": "problem"', b'"category" "problem"')).startswith(
        "x.json, line 9: not a course structure JSON file (Expecting ':' delimiter at column 16)"
    )
    assert "expected ',' or '}' after a block" in refusal(text.replace(b"},\n", b"}\n", 1))
    duplicate = text.replace(b"{\n", b'{\n  "' + P.encode() + b'": {},\n', 1)
    assert f'x.json, line 9, at $["{P}"]: the block appears twice (first on line 2)' in refusal(duplicate)


def test_the_encoding_is_utf8_with_or_without_a_bom_and_nothing_else():
    blocks = {COURSE: {"category": "course", "metadata": {"display_name": "Écoute 😀"}}}
    for data in (json.dumps(blocks).encode(), json.dumps(blocks, ensure_ascii=False).encode("utf-8-sig")):
        assert read_course_structure(io.BytesIO(data), label="x")[0].display_name == "Écoute 😀"
    assert refusal(json.dumps(blocks).encode("utf-16")).startswith(
        "x.json, line 1: not UTF-8 text (invalid byte b'\\xff' at byte 0); the file must be UTF-8"
    )
    latin = json.dumps(blocks, ensure_ascii=False, indent=1).encode("utf-8").replace("É".encode(), b"\xc9")
    assert refusal(latin) == (
        "x.json, line 5: not UTF-8 text (invalid byte b'\\xc9' at byte 108); the file must be UTF-8 (a byte "
        'order mark is allowed) (value: \'   "display_name": "\\\\xc9coute 😀"\\n  }\\n }\\n}\')'
    )
    # A character cut in two by a read is not an error.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(structure, "MAX_BLOCK_CHARS", 7)
        text = json.dumps(
            {COURSE: {"category": "course", "metadata": {"display_name": "😀"}}}, ensure_ascii=False
        )
        patch.setattr(structure, "MAX_BLOCK_CHARS", 200)
        stream = io.BytesIO(text.encode())
        stream.read = lambda size=-1, read=stream.read: read(min(size, 7))  # type: ignore[method-assign]
        assert read_course_structure(stream, label="x")[0].display_name == "😀"


def test_limits_on_size_are_refused_saying_what_the_limit_is():
    long_block = with_course(P, {"metadata": {"markdown": "x" * 2_000}})
    assert f'at $["{P}"]: a block longer than 1,000 characters of JSON, the limit for one block' in refusal(
        long_block, MAX_BLOCK_CHARS=1_000
    )
    # A block that never ends (an inflated member) is refused at the limit, not read to the end,
    # wherever the window's end cuts it (in a string, an escape, a literal, a number).
    endless = b'{"' + P.encode() + b'": {"metadata": {"markdown": "' + b"x" * 5_000
    assert "a block longer than 1,000 characters" in refusal(endless, MAX_BLOCK_CHARS=1_000)
    for shift in range(8):
        for item in (b'"\\u00e9"', b"false", b"-1.5e10", b"null"):
            endless = (
                b'{"'
                + P.encode()
                + b'": {"metadata": {"x'
                + b"x" * shift
                + b'": ['
                + b", ".join([item] * 500)
            )
            assert "a block longer than 1,000 characters" in refusal(endless + b", ", MAX_BLOCK_CHARS=1_000)
    many = {COURSE: {"category": "course"}} | {key("html", str(n)): {} for n in range(5)}
    assert "more than 3 usage keys (blocks and the children they name), the limit" in refusal(
        many, MAX_BLOCK_KEYS=3
    )
    assert f'at $["{P}"]: more than 60 bytes of block settings, the limit for a course structure' in refusal(
        with_course(P, {"metadata": {"display_name": "x" * 30}}), MAX_SETTINGS_BYTES=60
    )
    wide = with_course(P, {"children": [key("html", str(n)) for n in range(5)]})
    assert f'at $["{P}"]: more than 4 children in all, the limit for a course structure' in refusal(
        wide, MAX_CHILDREN=4
    )
    chain = {COURSE: {"category": "course", "children": [key("vertical", "0")]}}
    chain |= {key("vertical", str(n)): {"children": [key("vertical", str(n + 1))]} for n in range(6)}
    assert 'at $["block-v1:O+C+R+type@vertical+block@5"]: the outline is more than 5 levels deep' in refusal(
        chain, MAX_OUTLINE_DEPTH=5
    )
    assert len(read_course_structure(as_json(chain), label="x")) == 7


def test_whitespace_between_blocks_costs_nothing_however_much_there_is():
    text = json.dumps(with_course(P, {})).encode().replace(b'}, "', b"}," + b" \n" * 3_000_000 + b'"')
    assert [b.depth for b in read_course_structure(io.BytesIO(text), label="x")] == [0, 1]


def test_the_policy_is_found_beside_course_xml_whatever_the_top_folder():
    export = olx(
        {
            "./foo_bar_baz/course.xml": '<course url_name="accept" org="O" course="C"/>',
            "./foo_bar_baz/policies/accept/grading_policy.json": '{"GRADE_CUTOFFS": {"Pass": 0.7}}',
            "./foo_bar_baz/policies/other/grading_policy.json": '{"GRADE_CUTOFFS": {"Pass": 0.1}}',
        }
    )
    assert json.loads(read_grading_policy(export, label="x")) == {"GRADE_CUTOFFS": {"Pass": 0.7}}


def test_a_top_level_policy_is_the_fallback_and_none_when_missing():
    fallback = olx({"t/course.xml": '<course url_name="r"/>', "t/grading_policy.json": '{"GRADER": []}'})
    assert read_grading_policy(fallback, label="x") == '{"GRADER": []}'
    assert read_grading_policy(olx({"t/course.xml": '<course url_name="r"/>'}), label="x") is None


@pytest.mark.parametrize("mode", ["w", "w:bz2", "w:xz"])
def test_an_uncompressed_bzip2_or_xz_export_is_read_too(mode):
    export = olx({"t/course.xml": '<course url_name="r"/>', "t/grading_policy.json": "{}"}, mode)
    assert read_grading_policy(export, label="x") == "{}"


def policy_refusal(data: bytes, **limits) -> str:
    export = olx({"t/course.xml": '<course url_name="r"/>', "t/policies/r/grading_policy.json": data})
    with pytest.MonkeyPatch.context() as patch:
        for name, value in limits.items():
            patch.setattr(LIMITS[name], name, value)
        with pytest.raises(PackageError) as error:
            read_grading_policy(export, label="pkg/x.tar.gz")
    return str(error.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            '{"GRADER": []}'.encode("utf-16"),
            "pkg/x.tar.gz/t/policies/r/grading_policy.json, line 1: not UTF-8 text: it holds NUL bytes or a "
            "UTF-16 byte order mark (UTF-16?); the file must be UTF-8",
        ),
        ('{"GRADER": []}'.encode("utf-16-le"), "not UTF-8 text: it holds NUL bytes"),
        (
            b'{\n"GRADE_CUTOFFS": {"\xe9": 0.5}}',
            "grading_policy.json, line 2: not UTF-8 text (invalid byte b'\\xe9' at byte 21); the file must "
            'be UTF-8 (a byte order mark is allowed) (value: \'\\n"GRADE_CUTOFFS": {"\\\\xe9": 0.5}}\')',
        ),
        (
            b'{"GRADER": ' + b"[" * 100 + b"]" * 100 + b"}",
            "grading_policy.json, at $: JSON nested deeper than 32 levels",
        ),
        (b'{"GRADE_CUTOFFS": {"A": NaN}}', "at $.GRADE_CUTOFFS.A: a number JSON cannot hold"),
        (b'{"GRADER": [\n{"type": "HW",}]}', "grading_policy.json, line 2: not a JSON document"),
        (
            b"{}" + b" " * 2_000,
            "grading_policy.json: larger than 1,000 bytes, the limit for a grading policy",
        ),
    ],
)
def test_a_policy_that_is_not_utf8_json_within_the_limits_is_refused(data, message):
    assert message in policy_refusal(data, MAX_POLICY_BYTES=1_000)


def test_a_broken_or_inflated_archive_is_refused():
    with pytest.raises(PackageError, match="not a readable course export"):
        read_grading_policy(io.BytesIO(b"not a tar"), label="x")
    with pytest.raises(PackageError, match="not a readable course export"):
        read_grading_policy(io.BytesIO(olx({"t/course.xml": "<course/>"}).getvalue()[:30]), label="x")
    with pytest.raises(PackageError, match="not a readable course export"):
        read_grading_policy(io.BytesIO(bz2.compress(b"\x00" * 100)), label="x")
    # A pax header claiming more than the limit: tarfile would read it whole.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("t/course.xml")
        info.pax_headers = {"comment": "x" * 5_000}
        archive.addfile(info, io.BytesIO(b""))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tarball, "MAX_TAR_HEADER_BYTES", 1_000)
        with pytest.raises(
            PackageError, match=r"x: a tar header record of 5,\d+ bytes, more than the limit of 1,000"
        ):
            read_grading_policy(io.BytesIO(buffer.getvalue()), label="x")
    many = olx({f"t{n}/grading_policy.json": "{}" for n in range(6)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(course_olx, "MAX_POLICY_FILES", 5)
        with pytest.raises(PackageError, match=r"x: more than 5 course\.xml and grading_policy\.json files"):
            read_grading_policy(many, label="x")
    many.seek(0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(course_olx, "MAX_POLICIES_BYTES", 10)
        with pytest.raises(
            PackageError, match=r"x: more than 10 bytes of grading_policy\.json files, the limit"
        ):
            read_grading_policy(many, label="x")


def test_memory_stays_bounded_whatever_the_structure_holds():
    # Read whole, a 30 MB structure took about 250 MB; inflated ones (a block without end,
    # whitespace padding, brackets) took gigabytes. Streamed, the peak stays well under 100 MB.
    peak, output = peak_megabytes(
        """
        import json
        from edx_schema.errors import FormatError
        from edx_schema.package.course import read_course_structure

        def key(kind, number):
            return f"block-v1:UniversityX+CS-101x+3T2024+type@{kind}+block@{number:032x}"

        def structure(chapters, problems, padding=0):
            yield b"{"
            for chapter in range(chapters):
                names = [key("problem", chapter * problems + n) for n in range(problems)]
                for name in names:
                    metadata = {"display_name": name[-6:], "weight": 1.0, "markdown": "x" * 400}
                    block = {name: {"category": "problem", "metadata": metadata}}
                    yield json.dumps(block, indent=2)[1:-2].encode()
                    yield b","
                    yield from [b" " * (1 << 20)] * padding
                chapter_block = {"category": "chapter", "children": names}
                yield json.dumps({key("chapter", chapter): chapter_block}, indent=2)[1:-2].encode() + b","
            course = {"category": "course", "children": [key("chapter", n) for n in range(chapters)]}
            yield json.dumps({key("course", 0): course}, indent=2)[1:].encode()

        blocks = read_course_structure(generated(structure(40, 1_000)), label="x")
        print(sum(len(block.metadata.get("markdown", "")) for block in blocks), len(blocks))
        padded = read_course_structure(generated(structure(1, 2, padding=100)), label="x")
        print(len(padded))
        for start, endless in ((b'{"a": {"metadata": "', b"x"), (b'{"a": ', b"[")):
            try:
                read_course_structure(generated([start] + [endless * (1 << 20)] * 200), label="x")
            except FormatError as error:
                print(error.message)
        """
    )
    assert output.splitlines() == [
        "16000000 40041",
        "4",
        "a block longer than 1,048,576 characters of JSON, the limit for one block",
        "JSON nested deeper than 32 levels, the limit for a JSON document",
    ]
    assert peak < 100


def test_memory_stays_bounded_whatever_the_export_holds():
    # A 200 MB grading_policy.json, and a bzip2 export whose every chunk inflates to 200 MB.
    peak, output = peak_megabytes(
        """
        import bz2, io, tarfile, zlib
        from edx_schema.errors import PackageError
        from edx_schema.package.course import read_grading_policy

        def member(name, size):
            info = tarfile.TarInfo(name)
            info.size = size
            return info.tobuf()

        def export(compressor, name, size):
            yield compressor.compress(member("t/course.xml", 0))
            yield compressor.compress(member(name, size))
            block = b" " * (1 << 20)
            for _ in range(size >> 20):
                yield compressor.compress(block)
            yield compressor.compress(bytes(1024)) + compressor.flush()

        for compressor, name in (
            (zlib.compressobj(1, zlib.DEFLATED, 31), "t/grading_policy.json"),
            (bz2.BZ2Compressor(), "t/big.xml"),
        ):
            try:
                print(read_grading_policy(generated(export(compressor, name, 200 << 20)), label="x"))
            except PackageError as error:
                print(error.message if hasattr(error, "message") else error)
        """
    )
    assert output.splitlines() == ["larger than 1,048,576 bytes, the limit for a grading policy", "None"]
    assert peak < 100
