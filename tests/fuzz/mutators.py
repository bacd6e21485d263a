"""Seeded mutators: each turns a member's bytes into a damaged, odd or hostile variant.

A mutator is ``function(rng, data, log) -> bytes``: it draws every choice from ``rng`` (so a
case is replayed from its seed alone) and says what it did through ``log``. Each applies to some
categories of member (``tsv``, ``json`` for the course structure, ``mongo``, ``olx``, ``csv`` for
the e-mail opt-in list); a few
(``symlink``, ``zip_crc``) change how the package holds the member instead, and are carried out
by the package builder.

The inflated members (hundreds of MiB that compress to almost nothing) are not here: they are
written straight into a zip, see :mod:`tests.fuzz.inflate`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import tarfile
from collections.abc import Callable
from dataclasses import dataclass

from edx_schema.package.email_opt_in import COLUMNS as OPT_IN_COLUMNS
from edx_schema.package.email_opt_in import LEGACY_COLUMNS as OPT_IN_LEGACY_COLUMNS

Log = Callable[[str], None]
Function = Callable[[random.Random, bytes, Log], bytes]

SPECIALS = (b"\t", b"\n", b"\r", b"\\", b"\0", b"\r\n", b"\\\n", b"\\\t", b"\\\\", b"\x1a")
INVALID_UTF8 = (
    b"\xff",
    b"\xfe\xff",
    b"\xc3",  # a lead byte with no continuation
    b"\xc3\x28",
    b"\x80",  # a lone continuation byte
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xc0\xaf",  # an overlong slash
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\xe2\x82",  # truncated three-byte sequence
)
#: Course ids as a document or a row may hold them, none of them a course key.
BAD_COURSE_KEYS = (
    "",
    "NULL",
    "not a key",
    "UniversityX/HIST.2x/2013_Spring/",
    "UniversityX/HIST.2x",
    "course-v1:",
    "course-v1:UniversityX+CS-101x",
    "course-v1:UniversityX+CS-101x+3T2024+extra",
    "course-v1:Universi\u00e9X+CS-101x+3T2024",
    "block-v1:UniversityX+CS-101x+3T2024+type@course+block@course",
    "True",
    "5",
    "\\",
    " course-v1:UniversityX+CS-101x+3T2024",
    "course-v1:UniversityX+CS-101x+3T2024 ",
)
BAD_USAGE_KEYS = (
    "",
    "not a key",
    "block-v1:",
    "block-v1:UniversityX+CS-101x+3T2024",
    "block-v1:UniversityX+CS-101x+3T2024+type@problem",
    "block-v1:UniversityX+CS-101x+3T2024+type@+block@",
    "i4x://",
    "i4x://UniversityX/HIST.2x/problem",
    "course-v1:UniversityX+CS-101x+3T2024",
    "block-v1:UniversityX+CS-101x+3T2024+type@problem+block@p/../x",
)
#: JSON values of every type, for a place that expects another.
WRONG_VALUES: tuple[object, ...] = (
    True,
    False,
    None,
    0,
    5,
    -1,
    1.5e308,
    2**70,
    "",
    "x",
    "not a key",
    "a\u0000b",
    [],
    ["a"],
    [True, None],
    {},
    {"$oid": 5},
    {"$date": True},
    {"$date": {"$numberLong": "x"}},
    {"$date": "2013-02-30T00:00:00Z"},
    {"$date": 10**20},
)
#: Values a TSV field may hold that its column does not expect.
BAD_FIELDS = (
    "NULL",
    "",
    "-1",
    "99999999999999999999",
    "1e309",
    "nan",
    "inf",
    "0000-00-00 00:00:00",
    "2024-02-30 00:00:00",
    "2024-07-21T20:46:45",
    "9999-12-31 23:59:59.999999",
    "\u00b2",  # a Unicode digit: str.isdigit() says yes, int() refuses
    "\u0663",  # an Arabic-Indic three: int() takes it
    "1_000",
    " 1",
    "0x10",
    "\\N",
    "true",
    "\u202e",
    "a" * 300,
)


@dataclass(frozen=True)
class Mutator:
    name: str
    categories: frozenset[str]
    function: Function


MUTATORS: dict[str, Mutator] = {}
TEXT = frozenset({"tsv", "json", "mongo", "csv"})
ALL = frozenset({*TEXT, "olx"})
PACKAGE_LEVEL = ("symlink", "zip_crc")


def mutator(*categories: str) -> Callable[[Function], Function]:
    def register(function: Function) -> Function:
        name = function.__name__
        MUTATORS[name] = Mutator(name, frozenset(categories), function)
        return function

    return register


def applicable(category: str) -> list[str]:
    """The mutators that apply to a member of this category, in a fixed order."""
    return [m.name for m in MUTATORS.values() if category in m.categories]


class NotStructured(Exception):
    """A structure-aware mutator got bytes without that structure (an earlier mutation broke it)."""


def mutate(name: str, data: bytes, rng: random.Random, *, strict: bool = False) -> tuple[bytes, list[str]]:
    """Apply mutator ``name``; returns the new bytes and what was done.

    A structure-aware mutator given bytes that another mutation already broke leaves them as
    they are (``strict``: raises NotStructured, for the test that every mutator works on the
    sample's members).
    """
    notes: list[str] = []
    try:
        result = MUTATORS[name].function(rng, data, notes.append)
    except (
        ValueError,
        LookupError,
        TypeError,
        AttributeError,
        RecursionError,
        StopIteration,  # next() found no such part (a tarball cut short lists fewer files)
        tarfile.TarError,
        csv.Error,
        EOFError,
        OSError,
    ) as error:
        if strict:
            raise NotStructured(f"{name}: {error!r}") from error
        return data, [f"{name} not applicable ({type(error).__name__}): left as it is"]
    return result, notes


def _position(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def _insert(data: bytes, at: int, piece: bytes) -> bytes:
    return data[:at] + piece + data[at:]


# -- bytes: any member, the compressed OLX export included ---------------------------------------


@mutator(*ALL)
def flip_bytes(rng: random.Random, data: bytes, log: Log) -> bytes:
    if not data:
        return b"\xff"
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(out))
        out[at] = rng.randrange(256) if rng.random() < 0.5 else out[at] ^ (1 << rng.randrange(8))
        log(f"byte {at} -> {out[at]:#04x}")
    return bytes(out)


@mutator(*ALL)
def truncate(rng: random.Random, data: bytes, log: Log) -> bytes:
    at = _position(rng, data)
    log(f"cut at byte {at} of {len(data)}")
    return data[:at]


@mutator(*ALL)
def insert_specials(rng: random.Random, data: bytes, log: Log) -> bytes:
    for _ in range(rng.randint(1, 5)):
        at, piece = _position(rng, data), rng.choice(SPECIALS)
        data = _insert(data, at, piece)
        log(f"inserted {piece!r} at {at}")
    return data


@mutator(*ALL)
def invalid_utf8(rng: random.Random, data: bytes, log: Log) -> bytes:
    at, piece = _position(rng, data), rng.choice(INVALID_UTF8)
    log(f"inserted {piece!r} at {at}")
    return _insert(data, at, piece)


@mutator(*ALL)
def huge_field(rng: random.Random, data: bytes, log: Log) -> bytes:
    unit = rng.choice([b"x", "\u00e9".encode(), "\U0001f600".encode(), b"\\\\", b" "])
    size = rng.choice([70_000, 300_000, 1_100_000])
    at = _position(rng, data)
    log(f"inserted {size} x {unit!r} at {at}")
    return _insert(data, at, unit * (size // len(unit)))


@mutator(*ALL)
def garbage(rng: random.Random, data: bytes, log: Log) -> bytes:
    size = rng.choice([0, 1, 17, 512, 4096])
    log(f"{size} random bytes")
    return rng.randbytes(size)


@mutator(*ALL)
def empty(rng: random.Random, data: bytes, log: Log) -> bytes:
    log("zero-length")
    return b""


@mutator(*ALL)
def symlink(rng: random.Random, data: bytes, log: Log) -> bytes:
    log("the member is a symlink to a file outside the package (folder package)")
    return data


@mutator(*ALL)
def zip_crc(rng: random.Random, data: bytes, log: Log) -> bytes:
    log("the member's compressed bytes are damaged (zip package, bad CRC)")
    return data


# -- text: TSV tables, the course structure, forum dumps -----------------------------------------


@mutator(*TEXT)
def bom(rng: random.Random, data: bytes, log: Log) -> bytes:
    log("UTF-8 byte-order mark")
    return b"\xef\xbb\xbf" + data


@mutator(*TEXT)
def crlf(rng: random.Random, data: bytes, log: Log) -> bytes:
    log("CRLF line ends")
    return data.replace(b"\n", b"\r\n")


@mutator(*TEXT)
def utf16(rng: random.Random, data: bytes, log: Log) -> bytes:
    encoding = rng.choice(["utf-16", "utf-16-be", "utf-32"])
    log(encoding)
    return data.decode("utf-8").encode(encoding)


@mutator(*TEXT)
def latin1(rng: random.Random, data: bytes, log: Log) -> bytes:
    log("re-encoded as latin-1")
    return data.decode("utf-8").encode("latin-1", "replace")


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


@mutator(*TEXT)
def duplicate_line(rng: random.Random, data: bytes, log: Log) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines))
    log(f"line {at + 1} twice")
    lines.insert(at, lines[at])
    return b"\n".join(lines)


@mutator(*TEXT)
def delete_line(rng: random.Random, data: bytes, log: Log) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines))
    log(f"line {at + 1} removed")
    del lines[at]
    return b"\n".join(lines)


@mutator(*TEXT)
def blank_lines(rng: random.Random, data: bytes, log: Log) -> bytes:
    lines = _lines(data)
    at, count = rng.randrange(len(lines) + 1), rng.choice([1, 3, 5000])
    log(f"{count} blank lines before line {at + 1}")
    lines[at:at] = [rng.choice([b"", b" ", b"\r", b"\t"])] * count
    return b"\n".join(lines)


# -- TSV tables ----------------------------------------------------------------------------------


def _table(data: bytes) -> tuple[list[bytes], list[list[bytes]]]:
    lines = _lines(data)
    return lines[0].split(b"\t"), [line.split(b"\t") for line in lines[1:]]


def _join(header: list[bytes], rows: list[list[bytes]]) -> bytes:
    return b"\n".join([b"\t".join(header), *(b"\t".join(row) for row in rows)])


def _record(rng: random.Random, rows: list[list[bytes]]) -> int:
    """A non-empty record's index (the first one often: it names the file's course)."""
    filled = [i for i, row in enumerate(rows) if row != [b""]]
    if not filled:
        return 0
    return filled[0] if rng.random() < 0.3 else rng.choice(filled)


@mutator("tsv")
def wrong_field_count(rng: random.Random, data: bytes, log: Log) -> bytes:
    header, rows = _table(data)
    target = rows[_record(rng, rows)] if rows and rng.random() < 0.8 else header
    if rng.random() < 0.5 and len(target) > 1:
        del target[rng.randrange(len(target))]
        log("a field removed")
    else:
        target.insert(rng.randrange(len(target) + 1), rng.choice([b"", b"extra", b"NULL"]))
        log("a field added")
    return _join(header, rows)


@mutator("tsv")
def rename_header(rng: random.Random, data: bytes, log: Log) -> bytes:
    header, rows = _table(data)
    at = header.index(b"course_id") if b"course_id" in header and rng.random() < 0.4 else None
    at = at if at is not None else rng.randrange(len(header))
    new = rng.choice([header[at].upper(), header[at] + b"_x", b"", b" " + header[at], header[at] + b"\r"])
    log(f"header {header[at]!r} -> {new!r}")
    header[at] = new
    return _join(header, rows)


@mutator("tsv")
def duplicate_header(rng: random.Random, data: bytes, log: Log) -> bytes:
    header, rows = _table(data)
    a, b = rng.randrange(len(header)), rng.randrange(len(header))
    log(f"header {header[a]!r} -> {header[b]!r}")
    header[a] = header[b]
    return _join(header, rows)


@mutator("tsv")
def header_only(rng: random.Random, data: bytes, log: Log) -> bytes:
    log("header row only")
    return _lines(data)[0] + rng.choice([b"", b"\n", b"\n\n"])


@mutator("tsv")
def no_header(rng: random.Random, data: bytes, log: Log) -> bytes:
    log("header row removed")
    return b"\n".join(_lines(data)[1:])


def _set_field(rng: random.Random, data: bytes, names: tuple[bytes, ...], values, log: Log) -> bytes:
    header, rows = _table(data)
    present = [header.index(name) for name in names if name in header]
    column = rng.choice(present) if present else rng.randrange(len(header))
    index = _record(rng, rows)
    if not rows or len(rows[index]) <= column:
        return data
    value = rng.choice(values)
    if value == "<truncated>":
        original = rows[index][column]
        value = original[: rng.randrange(len(original) + 1)].decode("utf-8", "replace")
    rows[index][column] = value.encode() if isinstance(value, str) else value
    log(f"record {index + 1}, {header[column]!r} = {value!r}")
    return _join(header, rows)


@mutator("tsv")
def bad_course_key(rng: random.Random, data: bytes, log: Log) -> bytes:
    return _set_field(rng, data, (b"course_id",), (*BAD_COURSE_KEYS, "<truncated>"), log)


@mutator("tsv")
def bad_usage_key(rng: random.Random, data: bytes, log: Log) -> bytes:
    names = (b"module_id", b"usage_key", b"item_id")
    return _set_field(rng, data, names, (*BAD_USAGE_KEYS, "<truncated>"), log)


@mutator("tsv")
def bad_field(rng: random.Random, data: bytes, log: Log) -> bytes:
    header, _rows = _table(data)
    return _set_field(rng, data, (rng.choice(header),), BAD_FIELDS, log)


@mutator("tsv")
def clone_record(rng: random.Random, data: bytes, log: Log) -> bytes:
    """A copy of a record under a new id, its text in another case: a unique-key clash but for the id."""
    header, rows = _table(data)
    index = _record(rng, rows)
    if not rows or len(rows[index]) != len(header):
        return data
    clone = list(rows[index])
    if b"id" in header:
        at = header.index(b"id")
        clone[at] = str(int(clone[at]) + 1_000 if clone[at].isdigit() else 99_999).encode()
    if rng.random() < 0.7:
        clone = [field.upper() if field not in (b"NULL",) else field for field in clone]
    rows.insert(index + 1, clone)
    log(f"record {index + 1} cloned: {b'|'.join(clone)[:80]!r}")
    return _join(header, rows)


@mutator("tsv")
def odd_backslash(rng: random.Random, data: bytes, log: Log) -> bytes:
    lines = _lines(data)
    at = rng.randrange(len(lines))
    log(f"line {at + 1} ends in a backslash (escapes its LF)")
    lines[at] += b"\\"
    return b"\n".join(lines)


@mutator("tsv")
def mysqldump(rng: random.Random, data: bytes, log: Log) -> bytes:
    log("a mysqldump comment first")
    return b"-- MySQL dump 10.13\n" + data


# -- JSON documents: the course structure, each forum line, the OLX grading policy ---------------

_SENTINEL = "\u0000fuzz\u0000"


def _paths(document: object) -> list[tuple]:
    """Every place in a JSON document (as a key path), the root excepted."""
    found: list[tuple] = []
    stack: list[tuple[tuple, object]] = [((), document)]
    while stack:
        path, value = stack.pop()
        items = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        )
        for key, child in items:
            found.append((*path, key))
            stack.append(((*path, key), child))
    return found


def _replace(document: object, path: tuple, value: object) -> object:
    if not path:
        return value
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


def _with_raw(rng: random.Random, data: bytes, raw: str, log: Log) -> bytes:
    """The document with a random value (or the whole of it) replaced by the JSON text ``raw``."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        at = _position(rng, data)
        log(f"inserted at byte {at}")
        return _insert(data, at, raw.encode())
    paths = _paths(document)
    path = rng.choice(paths) if paths and rng.random() < 0.85 else ()
    log(f"at {list(path)}")
    text = json.dumps(_replace(document, path, _SENTINEL), ensure_ascii=False)
    return text.replace(json.dumps(_SENTINEL), raw, 1).encode()


def deep_raw(rng: random.Random) -> str:
    depth = rng.choice([1_000, 5_000, 100_000])
    opener, closer = rng.choice([("[", "]"), ('{"a":', "}"), ("[{}, ", "]")])
    inner = rng.choice(["1", '"x"', "[]", "null"])
    closed = rng.random() < 0.8
    return opener * depth + inner + (closer * depth if closed else "")


@mutator("json", "mongo")
def deep_json(rng: random.Random, data: bytes, log: Log) -> bytes:
    raw = deep_raw(rng)
    log(f"nested {raw[:8]!r}... ({len(raw)} chars)")
    return _each_document(rng, data, lambda doc: _with_raw(rng, doc, raw, log))


@mutator("json", "mongo")
def wrong_type(rng: random.Random, data: bytes, log: Log) -> bytes:
    value = rng.choice(WRONG_VALUES)
    log(f"value {value!r}")
    return _each_document(rng, data, lambda doc: _with_raw(rng, doc, json.dumps(value), log))


@mutator("json", "mongo")
def odd_json_value(rng: random.Random, data: bytes, log: Log) -> bytes:
    raw = rng.choice(
        [
            "1" + "0" * 5_000,  # more digits than int() converts
            "1e99999",
            "-0",
            "NaN",
            "Infinity",
            '"\\ud800"',  # a lone surrogate
            '"\\udfff\\ud800"',
            '"\\u0000"',
            '"' + "\\\\" * 1_000 + '"',
            '"' + "\\n" * 1_000 + '"',
        ]
    )
    log(f"value {raw[:12]!r}")
    return _each_document(rng, data, lambda doc: _with_raw(rng, doc, raw, log))


@mutator("json", "mongo")
def duplicate_key(rng: random.Random, data: bytes, log: Log) -> bytes:
    def change(doc: bytes) -> bytes:
        end = doc.rfind(b"}")
        if end < 0:
            return doc
        key = rng.choice(["course_id", "_id", "category", "children", "metadata", "GRADER", "_type"])
        value = json.dumps(rng.choice(WRONG_VALUES))
        log(f"a second {key!r}: {value}")
        return doc[:end] + f', "{key}": {value}'.encode() + doc[end:]

    return _each_document(rng, data, change)


def _each_document(rng: random.Random, data: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """Apply ``change`` to the document, or, for a forum dump (a document a line), to one line."""
    try:
        json.loads(data.decode("utf-8-sig"))
        return change(data)
    except (ValueError, RecursionError):
        pass
    lines = _lines(data)
    if not any(line.strip() for line in lines):
        return change(data)
    at = rng.choice([i for i, line in enumerate(lines) if line.strip()])
    lines[at] = change(lines[at])
    return b"\n".join(lines)


def _set_in_documents(rng: random.Random, data: bytes, key: str, values, log: Log) -> bytes:
    def change(doc: bytes) -> bytes:
        try:
            document = json.loads(doc)
        except ValueError:
            return doc
        value = rng.choice(values)
        document[key] = value
        log(f"{key} = {value!r}")
        return json.dumps(document).encode()

    return _each_document(rng, data, change)


@mutator("mongo")
def bad_forum_course(rng: random.Random, data: bytes, log: Log) -> bytes:
    values = (*BAD_COURSE_KEYS, True, 5, ["a"], None, {"$oid": "x"}, 1.5)
    return _set_in_documents(rng, data, "course_id", values, log)


@mutator("mongo")
def bad_forum_field(rng: random.Random, data: bytes, log: Log) -> bytes:
    key = rng.choice(
        ["_id", "_type", "created_at", "updated_at", "comment_thread_id", "parent_id", "body", "title"]
    )
    return _set_in_documents(rng, data, key, WRONG_VALUES, log)


@mutator("mongo")
def garbage_line(rng: random.Random, data: bytes, log: Log) -> bytes:
    line = rng.choice(
        [
            rng.randbytes(rng.randrange(1, 200)).replace(b"\n", b" "),
            b"[1, 2]",
            b"5",
            b'"x"',
            b"null",
            b"{",
            b"}",
            b"{}",
            b'{"_id": "x"}',
            b"\0" * 10,
            b"\xef\xbb\xbf{}",
        ]
    )
    lines = _lines(data)
    at = rng.randrange(len(lines) + 1)
    log(f"line {at + 1}: {line[:40]!r}")
    lines.insert(at, line)
    return b"\n".join(lines)


@mutator("json")
def bad_block_id(rng: random.Random, data: bytes, log: Log) -> bytes:
    structure = json.loads(data)
    keys = list(structure)
    bad = rng.choice(BAD_USAGE_KEYS)
    if rng.random() < 0.5:
        course = next((k for k in keys if structure[k].get("category") == "course"), keys[0])
        old = course if rng.random() < 0.5 else rng.choice(keys)
        log(f"block {old!r} renamed {bad!r}")
        structure[bad] = structure.pop(old)
    else:
        parents = [k for k in keys if structure[k].get("children")]
        parent = rng.choice(parents)
        children = structure[parent]["children"]
        at = rng.randrange(len(children))
        log(f"child {at} of {parent!r} -> {bad!r}")
        children[at] = bad
    return json.dumps(structure, indent=rng.choice([None, 2])).encode()


@mutator("json")
def course_blocks(rng: random.Random, data: bytes, log: Log) -> bytes:
    structure = json.loads(data)
    keys = list(structure)
    if rng.random() < 0.5:
        for block in structure.values():
            if block.get("category") == "course":
                block["category"] = "chapter"
        log("no block of category course")
    else:
        other = rng.choice(keys)
        structure[other]["category"] = "course"
        log(f"{other!r} is a second course block")
    return json.dumps(structure).encode()


@mutator("json")
def fragment(rng: random.Random, data: bytes, log: Log) -> bytes:
    """The structure without its course block (a fragment, which loads), maybe with a block of
    another course or of a content library (which it must not)."""
    structure = json.loads(data)
    course = next(k for k, block in structure.items() if block.get("category") == "course")
    del structure[course]
    keys = sorted(structure)
    removed = rng.sample(keys, rng.randrange(len(keys) + 1))  # some of the rest go too
    for key in removed:
        del structure[key]
    odd = rng.choice(
        [
            None,
            None,
            "block-v1:UniversityX+OTHER+3T2024+type@problem+block@odd",
            "i4x://UniversityX/HIST.2x/problem/odd",
            "lib-block-v1:UniversityX+L+type@problem+block@odd",
        ]
    )
    if odd is not None:
        structure[odd] = {"category": "problem"}
    log(f"the course block and {len(removed)} others removed; an odd block: {odd}")
    return json.dumps(structure, indent=rng.choice([None, 1])).encode()


@mutator("json")
def cyclic_children(rng: random.Random, data: bytes, log: Log) -> bytes:
    structure = json.loads(data)
    keys = list(structure)
    for key in rng.sample(keys, min(3, len(keys))):
        structure[key].setdefault("children", []).append(rng.choice(keys))
    log("children that point back up the tree")
    return json.dumps(structure).encode()


# -- OLX exports (.xml.tar.gz) -------------------------------------------------------------------


def _read_tar(data: bytes) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return [(info, archive.extractfile(info).read() if info.isfile() else b"") for info in archive]


def _write_tar(files: list[tuple[tarfile.TarInfo, bytes]], *, compress: bool = True) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for info, content in files:
            info.size = len(content) if info.isfile() else 0
            archive.addfile(info, io.BytesIO(content) if info.isfile() else None)
    return gzip.compress(out.getvalue(), mtime=0) if compress else out.getvalue()


def _policy_change(rng: random.Random, data: bytes, change: Callable[[bytes], bytes]) -> bytes:
    files = _read_tar(data)
    files = [
        (info, change(content) if info.name.endswith("grading_policy.json") else content)
        for info, content in files
    ]
    return _write_tar(files)


@mutator("olx")
def policy_text(rng: random.Random, data: bytes, log: Log) -> bytes:
    """A text or JSON mutator applied to the export's grading_policy.json."""
    structure_only = ("bad_block_id", "course_blocks", "fragment", "cyclic_children", *PACKAGE_LEVEL)
    name = rng.choice([n for n in applicable("json") if n not in structure_only])
    log(f"grading_policy.json: {name}")
    return _policy_change(rng, data, lambda content: MUTATORS[name].function(rng, content, log))


@mutator("olx")
def policy_values(rng: random.Random, data: bytes, log: Log) -> bytes:
    def change(content: bytes) -> bytes:
        policy = json.loads(content)
        grader = policy["GRADER"][0]
        where, value = rng.choice(
            [
                (("GRADER",), rng.choice([True, {}, "x", None, [5]])),
                (("GRADE_CUTOFFS",), rng.choice([True, [], {"Pass": "x"}, {"Pass": 2}, {"": 0.5}])),
                (("GRADER", 0, "weight"), rng.choice([True, "x", -1, 1e308, None, float("nan")])),
                (("GRADER", 0, "min_count"), rng.choice([True, "3", -1, 10**9, 1.5, None])),
                (("GRADER", 0, "drop_count"), rng.choice([5, -1, "1", None])),
                (("GRADER", 0, "type"), rng.choice([None, 5, [], ""])),
            ]
        )
        log(f"{list(where)} = {value!r} (was {grader.get(where[-1]) if len(where) == 3 else '...'})")
        return json.dumps(_replace(policy, where, value)).encode()

    return _policy_change(rng, data, change)


@mutator("olx")
def course_xml(rng: random.Random, data: bytes, log: Log) -> bytes:
    xml = rng.choice(
        [
            b"",
            b"<course",
            b'<course url_name="../../../etc"/>',
            b'<course url_name=""/>',
            b'<course url_name="missing"/>',
            b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
            b'<course url_name="&d;"/>',
            b'<?xml version="1.0" encoding="utf-16"?><course/>',
            b"<course>" * 10_000,
            b'<!DOCTYPE course SYSTEM "file:///etc/passwd"><course url_name="R" org="O" course="C"/>',
            b'<course url_name="&xxe;" org="O" course="C"/>',
            b'<course url_name="R" org="O"/>',
            b'<course url_name="R" org="\xff" course="C"/>',
            b'<course url_name="R+x" org="O" course="C"/>',
            b'<chapter url_name="R" org="O" course="C"/>',
            b"<!--" + b" " * 70_000 + b'--><course url_name="R" org="O" course="C"/>',
        ]
    )
    log(f"course.xml = {xml[:40]!r}")
    files = [
        (info, xml if info.name.endswith("/course.xml") else content) for info, content in _read_tar(data)
    ]
    return _write_tar(files)


@mutator("olx")
def tar_layout(rng: random.Random, data: bytes, log: Log) -> bytes:
    files = _read_tar(data)
    choice = rng.choice(
        ["no policy", "symlinked policy", "dot-dot names", "plain tar", "policy twice", "big file"]
    )
    log(choice)
    if choice == "no policy":
        files = [(i, c) for i, c in files if not i.name.endswith("grading_policy.json")]
    elif choice == "symlinked policy":
        for info, _content in files:
            if info.name.endswith("grading_policy.json"):
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    elif choice == "dot-dot names":
        for info, _content in files:
            info.name = "../../" + info.name
    elif choice == "plain tar":
        return _write_tar(files, compress=False)
    elif choice == "policy twice":
        policy = next((i, c) for i, c in files if i.name.endswith("grading_policy.json"))
        files.append((tarfile.TarInfo(policy[0].name), b"{not json"))
    else:
        big = tarfile.TarInfo(files[0][0].name.split("/")[0] + "/static/big.bin")
        files.insert(0, (big, b"\0" * (12 << 20)))
    return _write_tar(files)


# -- the e-mail opt-in list (CSV) ----------------------------------------------------------------

#: What a hostile or broken CSV is made of.
CSV_PIECES = (
    b'"',
    b'""',
    b'","',
    b",",
    b",,,,,,,,",
    b"\r",
    b"\n",
    b"\r\n",
    b"\0",
    b"\xff",
    b"\xef\xbb\xbf",
    ",".join(OPT_IN_COLUMNS).encode() + b"\r\n",
    ",".join(OPT_IN_LEGACY_COLUMNS).encode() + b"\r\n",
    b'"' + b"x" * 70_000,
    b'"' + b'""' * 5_000 + b'"',
    b'"\r\n' * 2_000,
)
#: Values the list's columns do not expect: flags and dates written otherwise than the exporter does.
BAD_CSV_FIELDS = (
    "true",
    "1",
    "False ",
    "2015-03-04 10:11:12",
    "2015-03-04 10:11:12+01:00",
    "2015-02-30 10:11:12+00:00",
    "2014-12-01 00:00:00",  # the exporter's date for no preference, valid with True only
)


def _csv_rows(data: bytes) -> list[list[str]]:
    """The list's records, read with the csv module (ValueError or csv.Error if it is not a list)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True))


def _csv_join(rows: list[list[str]]) -> bytes:
    """Records written back as the exporter writes them (excel dialect, CRLF)."""
    out = io.StringIO(newline="")
    csv.writer(out, dialect="excel").writerows(rows)
    return out.getvalue().encode()


def _csv_record(rng: random.Random, rows: list[list[str]]) -> int:
    """A record's index (not the header's), the first one often."""
    filled = [i for i, row in enumerate(rows) if i and len(row) == len(rows[0])]
    if not filled:
        raise LookupError("no record")
    return filled[0] if rng.random() < 0.3 else rng.choice(filled)


@mutator("csv")
def csv_pieces(rng: random.Random, data: bytes, log: Log) -> bytes:
    for _ in range(rng.randint(1, 4)):
        at, piece = _position(rng, data), rng.choice(CSV_PIECES)
        log(f"{piece[:20]!r} in at byte {at}")
        data = _insert(data, at, piece)
    return data


@mutator("csv")
def bad_csv_value(rng: random.Random, data: bytes, log: Log) -> bytes:
    rows = _csv_rows(data)
    index = _csv_record(rng, rows)
    header = rows[0]
    at = header.index("course_id") if "course_id" in header and rng.random() < 0.4 else None
    at = at if at is not None else rng.randrange(len(header))
    value = rng.choice((*BAD_FIELDS, *BAD_COURSE_KEYS, *BAD_CSV_FIELDS, "<truncated>"))
    if value == "<truncated>":
        value = rows[index][at][: rng.randrange(len(rows[index][at]) + 1)]
    log(f"record {index}, {header[at]} = {value!r}")
    rows[index][at] = value
    return _csv_join(rows)


@mutator("csv")
def repeat_header(rng: random.Random, data: bytes, log: Log) -> bytes:
    """The header again before a record, as the exporter writes it before each chunk of courses."""
    rows = _csv_rows(data)
    at = rng.randrange(1, len(rows) + 1)
    log(f"the header again before record {at}")
    rows.insert(at, list(rows[0]))
    return _csv_join(rows)


@mutator("csv")
def clone_csv_record(rng: random.Random, data: bytes, log: Log) -> bytes:
    """A record again, its course key and e-mail in upper case: the same learner and course (course
    keys compare ignoring case), the later row's e-mail."""
    rows = _csv_rows(data)
    index = _csv_record(rng, rows)
    header = rows[0]
    clone = list(rows[index])
    for name in ("course_id", "email"):
        if name in header:
            value = clone[header.index(name)]
            prefix, colon, rest = value.rpartition(":")
            clone[header.index(name)] = prefix + colon + rest.upper()
    rows.insert(rng.randrange(index + 1, len(rows) + 1), clone)
    log(f"record {index} again: {','.join(clone)[:80]!r}")
    return _csv_join(rows)
