"""The ORA members of ``ora/``: assessments, rubrics, workflows and score summaries, as exported.

Real-format rows (package_tables §2.9, §2.10): global rows (the rubric family) recur in every
course's files and stay one row, columns added over the years take the LMS's defaults when an
older file lacks them, the peer-workflow-item bug's stray rows load as they are, and the
retired AI tables of an old package load too.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from edx_schema.models import (
    AIClassifierSet,
    Assessment,
    AssessmentPart,
    AssessmentWorkflow,
    AssessmentWorkflowStep,
    Criterion,
    PeerWorkflowItem,
    Rubric,
    ScoreSummary,
)
from edx_schema.outcomes import Status

from .folders import COURSE, PREFIX, SUFFIX, load, package

pytestmark = pytest.mark.django_db

OTHER_PREFIX = "UniversityX-CS-102x-1T2025-"
UTC = datetime.UTC
UUID = "387d840a-d0ae-11e3-bb0e-14109fd8dc43"
ITEM = "block-v1:UniversityX+CS-101x+3T2024+type@openassessment+block@essay"
WHEN = "2015-12-01 10:00:00.250000"
HEX = "6f1c6a3e3b9e4c8e9b1d2f0a7c5e8d41"


def tsv(header: str, *rows: str) -> str:
    return "\n".join([header.replace(" ", "\t"), *(r.replace(" | ", "\t") for r in rows)]) + "\n"


RUBRIC = tsv("id content_hash structure_hash", "1 | " + "a" * 40 + " | " + "b" * 40)
CRITERIA = tsv(
    "id name label order_num prompt rubric_id", "1 | ideas | Ideas | 0 | How good are the ideas? | 1"
)
ASSESSMENTS = tsv(
    "id submission_uuid scored_at scorer_id score_type feedback rubric_id",
    f"1 | {UUID} | {WHEN} | anon-peer | PE | Nice\\nwork | 1",
    f"2 | {UUID} | {WHEN} | anon-self | SE |  | 1",
)


def test_a_courses_ora_members_load_and_global_rows_recur_as_one_row(tmp_path):
    members = {
        "assessment_rubric": RUBRIC,
        "assessment_criterion": CRITERIA,
        "assessment_assessment": ASSESSMENTS,
        "assessment_assessmentpart": tsv(
            "id feedback assessment_id criterion_id option_id",
            "1 | clear | 1 | 1 | NULL",
            "2 |  | 2 | 1 | NULL",
        ),
    }
    results = load(package(tmp_path, "2016-01-03", members))
    assert {t: (r.status, r.inserted) for t, r in results.items()} == {
        "assessment_rubric": (Status.LOADED, 1),
        "assessment_criterion": (Status.LOADED, 1),
        "assessment_assessment": (Status.LOADED, 2),
        "assessment_assessmentpart": (Status.LOADED, 2),
    }
    peer = Assessment.objects.get(id=1)
    assert (peer.submission_uuid, peer.scored_at, peer.score_type, peer.feedback) == (
        UUID,
        datetime.datetime(2015, 12, 1, 10, 0, 0, 250000, tzinfo=UTC),
        "PE",
        "Nice\nwork",
    )
    assert list(AssessmentPart.objects.order_by("id").values_list("assessment_id", "option_id")) == [
        (1, None),
        (2, None),
    ]
    # The next course's files repeat the shared rubric: one row, unchanged.
    (tmp_path / "other").mkdir()
    again = load(
        package(tmp_path / "other", "2016-01-03", {"assessment_rubric": RUBRIC}, prefix=OTHER_PREFIX)
    )["assessment_rubric"]
    assert (again.inserted, again.unchanged) == (0, 1)
    assert Rubric.objects.count() == 1


def test_columns_added_over_the_years_take_the_lms_defaults(tmp_path):
    members = {
        # Before ORA's label (0022): no label column.
        "assessment_criterion": tsv("id name order_num prompt rubric_id", "1 | ideas | 0 | Ideas? | 1"),
        "workflow_assessmentworkflow": tsv(
            "id created modified status status_changed submission_uuid uuid course_id item_id",
            f"1 | {WHEN} | {WHEN} | peer | {WHEN} | {UUID} | {HEX} | {COURSE} | {ITEM}",
        ),
        # Before 2020: no skipped column.
        "workflow_assessmentworkflowstep": tsv(
            "id name submitter_completed_at assessment_completed_at order_num workflow_id",
            f"1 | peer | {WHEN} | NULL | 0 | 1",
        ),
    }
    results = load(package(tmp_path, "2016-01-03", members))
    assert all(r.status == Status.LOADED for r in results.values()), results
    assert Criterion.objects.get().label == ""
    # What Django's AddField gave the LMS's older rows: the field's default.
    assert AssessmentWorkflowStep.objects.get().skipped is False
    workflow = AssessmentWorkflow.objects.get()
    assert (workflow.uuid.hex, str(workflow.course_id), workflow.item_id) == (
        HEX,
        COURSE,
        ITEM,
    )


def test_the_peer_workflow_item_bugs_stray_rows_load_as_they_are(tmp_path):
    # Items of other courses' workflows, their workflows absent: loaded by id, links counted.
    items = tsv(
        "id submission_uuid started_at scored assessment_id author_id scorer_id",
        f"7 | {UUID} | {WHEN} | 1 | 99 | 501 | 502",
    )
    result = load(package(tmp_path, "2016-01-03", {"assessment_peerworkflowitem": items}))[
        "assessment_peerworkflowitem"
    ]
    assert (result.status, result.inserted) == (Status.LOADED, 1)
    assert "2 author_id value(s)" not in result.message
    assert "1 author_id value(s) refer to no row of assessment_peerworkflow" in result.message
    assert "1 assessment_id value(s) refer to no row of assessment_assessment" in result.message
    assert list(PeerWorkflowItem.objects.values_list("id", "author_id", "scorer_id", "assessment_id")) == [
        (7, 501, 502, 99)
    ]
    # A later file without it deletes nothing: the file is not the course's set.
    (tmp_path / "later").mkdir()
    header_only = tsv("id submission_uuid started_at scored assessment_id author_id scorer_id")
    later = load(package(tmp_path / "later", "2016-01-10", {"assessment_peerworkflowitem": header_only}))
    assert later["assessment_peerworkflowitem"].deleted == 0
    assert PeerWorkflowItem.objects.count() == 1


def test_score_summaries_and_a_bad_value_named_by_file_line_column(tmp_path):
    text = tsv("id highest_id latest_id student_item_id", "1 | 3 | 4 | 2", "2 | x | 4 | 3")
    failed = load(package(tmp_path, "2016-01-03", {"submissions_scoresummary": text}))[
        "submissions_scoresummary"
    ]
    assert failed.status == Status.FAILED
    assert f"ora/{PREFIX}submissions_scoresummary{SUFFIX}, line 3, column highest_id" in failed.message
    assert not ScoreSummary.objects.exists()
    (tmp_path / "skip").mkdir()
    skipped = load(
        package(tmp_path / "skip", "2016-01-03", {"submissions_scoresummary": text}), skip_bad_rows=True
    )
    assert (skipped["submissions_scoresummary"].inserted, skipped["submissions_scoresummary"].rejected) == (
        1,
        1,
    )
    assert list(ScoreSummary.objects.values_list("highest_id", "latest_id", "student_item_id")) == [(3, 4, 2)]


def test_an_old_package_with_the_retired_ai_tables_loads_them(tmp_path):
    sets = tsv(
        "id created_at algorithm_id course_id item_id rubric_id",
        f"1 | 2014-05-01 00:00:00 | ease | {COURSE} | {ITEM} | 1",
    )
    result = load(package(tmp_path, "2015-12-13", {"assessment_aiclassifierset": sets}))[
        "assessment_aiclassifierset"
    ]
    assert (result.status, result.inserted) == (Status.LOADED, 1)
    assert AIClassifierSet.objects.get().algorithm_id == "ease"


def test_a_uuid_mariadbs_uuid_type_cannot_store_is_a_row_error_there_and_exact_elsewhere(tmp_path):
    """The LMS's char(32) takes any hex; MariaDB's native uuid type (Django's choice there) takes
    versions 0 to 7 only, and would store zeros, with a mere warning."""
    version_c = "0123456789abcdef0123456789abcdef"
    text = tsv(
        "id created modified status status_changed submission_uuid uuid course_id item_id",
        f"1 | {WHEN} | {WHEN} | peer | {WHEN} | {UUID} | {version_c} | {COURSE} | {ITEM}",
    )
    result = load(package(tmp_path, "2016-01-03", {"workflow_assessmentworkflow": text}))[
        "workflow_assessmentworkflow"
    ]
    if connection.vendor == "mysql" and connection.features.has_native_uuid_field:
        assert result.status == Status.FAILED
        assert "line 2, column uuid" in result.message
        assert "version c" in result.message
        assert not AssessmentWorkflow.objects.exists()
    else:
        assert result.status == Status.LOADED
        assert AssessmentWorkflow.objects.get().uuid.hex == version_c
