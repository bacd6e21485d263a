"""Every crash the harness ever found, replayed: regressions/manifest.toml names each one.

Each entry replaces one member of the sample package; the import runs in this process under
every check of the harness, and must also do what the entry expects (fail, with a message that
says why), and the member's bytes go through their pure decoder, which may raise only
edx-schema's own errors.
"""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from edx_schema.errors import EdxSchemaError

from . import sample
from .harness import Runner, regressions

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

ENTRIES = regressions()


def decode(kind: str, data: bytes) -> None:
    """Run the member's pure decoder over all of ``data``."""
    from edx_schema.errors import FormatError
    from edx_schema.package.course import read_course_export, read_course_structure
    from edx_schema.package.email_opt_in import OptInReader
    from edx_schema.package.forum import read_posts
    from edx_schema.package.tsv import TsvReader
    from edx_schema.services.outline import parse_policy

    stream = io.BytesIO(data)
    category = sample.category(kind)
    if category == "tsv":
        list(TsvReader(stream, file="m.sql"))
    elif category == "mongo":
        list(read_posts(stream, label="f.mongo"))
    elif category == "json":
        read_course_structure(stream, label="s.json")
    elif category == "csv":
        list(OptInReader(stream, file="l.csv"))
    else:
        export = read_course_export(stream, label="c.xml.tar.gz")
        with contextlib.suppress(FormatError):  # the course is asked for only when no table names it
            export.course()
        if export.grading_policy is not None:
            parse_policy(export.grading_policy, source="c.xml.tar.gz")


def test_the_manifest_names_every_corpus_file_once():
    files = sorted(entry.file for entry in ENTRIES if entry.file)
    on_disk = sorted(
        p.name for p in (sample.ROOT / "tests/fuzz/regressions").iterdir() if p.suffix != ".toml"
    )
    assert files == on_disk
    assert all(entry.kind in sample.KINDS and entry.expect in ("failed", "either") for entry in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.id for entry in ENTRIES])
def test_a_crash_once_found_is_a_clean_outcome_now(entry, tmp_path, capfd):
    mutation = entry.mutation()
    runner = Runner(entry.kind, tmp_path, capfd)
    # The clean member runs (as the harness's own check) where the entry compares with it.
    runner.prepare(entry.course, like=mutation, clean=entry.same_as_clean)
    result = runner.run(mutation)
    # Everything the harness found (the clean member's run included), then this entry's own.
    problems = [problem for _mutation, found in runner.failures for problem in found]
    failed = not result.outcome.exit_ok and result.record is not None and result.record[0] == "failed"
    if entry.expect == "failed" and not failed:
        problems.append(f"expected the member to fail; its import record: {result.record}")
    if failed:
        message = result.record[1]
        problems += [
            f"the failure message does not match {pattern!r}: {message[:300]!r}"
            for pattern in entry.mentions
            if not re.search(pattern, message, re.IGNORECASE)
        ]
    if mutation.data is not None and entry.package not in ("symlink", "zip_crc"):
        try:
            decode(entry.kind, mutation.data)
        except EdxSchemaError:
            pass
        except Exception as error:  # the decoder let a foreign exception out
            problems.append(f"the pure decoder raised {type(error).__name__}: {str(error)[:200]}")
    if problems:
        lines = [
            f"{entry.id} (was: {entry.was}):",
            *(f"  * {p}" for p in problems),
            mutation.case.replay_hint(),
        ]
        pytest.fail("\n".join(lines), pytrace=False)
