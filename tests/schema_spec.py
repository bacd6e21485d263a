"""The documented LMS schema, table by table, as the conformance test expects it.

Transcribed from the spec documents ("Student Info and Progress Data" and "Grades Data Model")
and, for the tables and columns they do not document, from the LMS's own models and MySQL DDL.
Where edx-schema deliberately differs from the spec, the difference is listed in ``DEVIATIONS``
with its reason; the test fails on any other difference, and on a listed deviation that no
longer occurs.

Type families: int, bigint, smallint, tinyint (booleans), varchar, char, longtext, datetime,
date, double, uuid. Keys follow MySQL's ``COLUMN_KEY``: PRI, UNI (first column of a unique
index), MUL (first column of a non-unique index, or of a composite unique one) or "".
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Col:
    family: str | tuple[str, ...]
    width: int | None = None
    null: bool = False
    key: str = ""
    unsigned: bool = False


@dataclass(frozen=True)
class Table:
    columns: dict[str, Col]
    #: Every non-primary index, as (unique, columns in order).
    indexes: frozenset[tuple[bool, tuple[str, ...]]] = field(default_factory=frozenset)


def idx(*columns: str, unique: bool = False) -> tuple[bool, tuple[str, ...]]:
    return (unique, columns)


def uniq(*columns: str) -> tuple[bool, tuple[str, ...]]:
    return (True, columns)


def link_table(first: str, second: str) -> Table:
    """A Django many-to-many link table: UNIQUE (first, second) and a KEY on second."""
    return Table(
        columns={"id": Col("int", key="PRI"), first: Col("int", key="MUL"), second: Col("int", key="MUL")},
        indexes=frozenset({uniq(first, second), idx(second)}),
    )


ASKBOT_COLUMNS = {
    "status": Col("varchar", 2),
    "email_key": Col("varchar", 32, null=True),
    "avatar_typ": Col("varchar", 1),
    "country": Col("varchar", 2),
    "show_country": Col("tinyint"),
    "date_of_birth": Col("date", null=True),
    "interesting_tags": Col("longtext"),
    "ignored_tags": Col("longtext"),
    "email_tag_filter_strategy": Col("smallint"),
    "display_tag_filter_strategy": Col("smallint"),
    "consecutive_days_visit_count": Col("int"),
}

#: The columns ORA's two retired AI workflow tables share (the 2016 DDL), and their indexes.
AI_WORKFLOW_COLUMNS = {
    "uuid": Col("varchar", 36, key="UNI"),
    "course_id": Col("varchar", 40, key="MUL"),
    "item_id": Col("varchar", 128, key="MUL"),
    "scheduled_at": Col("datetime", key="MUL"),
    "completed_at": Col("datetime", null=True, key="MUL"),
    "algorithm_id": Col("varchar", 128, key="MUL"),
}
AI_WORKFLOW_INDEXES = (
    uniq("uuid"),
    idx("course_id"),
    idx("item_id"),
    idx("scheduled_at"),
    idx("completed_at"),
    idx("algorithm_id"),
)

SPEC: dict[str, Table] = {
    "auth_user": Table(
        columns={
            "id": Col("int", key="PRI"),
            "username": Col("varchar", 30, key="UNI"),
            "first_name": Col("varchar", 30),
            "last_name": Col("varchar", 30),
            "email": Col("varchar", 75, key="UNI"),
            "password": Col("varchar", 128),
            "is_staff": Col("tinyint"),
            "is_active": Col("tinyint"),
            "is_superuser": Col("tinyint"),
            "last_login": Col("datetime"),
            "date_joined": Col("datetime"),
            **ASKBOT_COLUMNS,
        },
        indexes=frozenset({uniq("username"), uniq("email")}),
    ),
    "auth_userprofile": Table(
        columns={
            "id": Col("int", key="PRI"),
            "user_id": Col("int", key="UNI"),
            "name": Col("varchar", 255, key="MUL"),
            "language": Col("varchar", 255, key="MUL"),
            "location": Col("varchar", 255, key="MUL"),
            "meta": Col("longtext"),
            "courseware": Col("varchar", 255),
            "gender": Col("varchar", 6, null=True, key="MUL"),
            "mailing_address": Col("longtext", null=True),
            "year_of_birth": Col("int", null=True, key="MUL"),
            "level_of_education": Col("varchar", 6, null=True, key="MUL"),
            "goals": Col("longtext", null=True),
            "allow_certificate": Col("tinyint"),
            "country": Col("varchar", 2, null=True),
            "city": Col("longtext", null=True),
            # Not in the spec's table; the current LMS model and exports have them.
            "bio": Col("varchar", 3000, null=True),
            "profile_image_uploaded_at": Col("datetime", null=True),
            "state": Col("varchar", 2, null=True),
            "phone_number": Col("varchar", 50, null=True),
        },
        indexes=frozenset(
            {
                uniq("user_id"),
                idx("name"),
                idx("language"),
                idx("location"),
                idx("gender"),
                idx("year_of_birth"),
                idx("level_of_education"),
            }
        ),
    ),
    "student_courseenrollment": Table(
        columns={
            "id": Col("int", key="PRI"),
            "user_id": Col("int", key="MUL"),
            "course_id": Col("varchar", 255, key="MUL"),
            "created": Col("datetime", null=True, key="MUL"),
            "is_active": Col("tinyint"),
            "mode": Col("varchar", 100),
        },
        # The LMS: UNIQUE (user_id, course_id), KEY (course_id), KEY (created), and
        # student_cou_user_id_b19dcd_idx (user_id, created).
        indexes=frozenset(
            {uniq("user_id", "course_id"), idx("course_id"), idx("created"), idx("user_id", "created")}
        ),
    ),
    "user_api_usercoursetag": Table(
        columns={
            "user_id": Col("int", key="PRI"),
            "course_id": Col("varchar", 255),
            "key": Col("varchar", 255),
            "value": Col("longtext"),
        },
    ),
    "user_id_map": Table(
        columns={
            "hash_id": Col("int", key="PRI"),
            "id": Col("int"),
            "username": Col("varchar", 30),
        },
    ),
    "student_anonymoususerid": Table(
        # Not in the spec documents: the LMS model and its DDL.
        columns={
            "id": Col("int", key="PRI"),
            "user_id": Col("int", key="MUL"),
            "anonymous_user_id": Col("varchar", 32, key="UNI"),
            "course_id": Col("varchar", 255, key="MUL"),
        },
        indexes=frozenset({uniq("anonymous_user_id"), idx("user_id"), idx("course_id")}),
    ),
    "courseware_studentmodule": Table(
        columns={
            "id": Col("int", key="PRI"),
            "module_type": Col("varchar", 32, key="MUL"),
            "module_id": Col("varchar", 255, key="MUL"),
            "student_id": Col("int", key="MUL"),
            "state": Col("longtext", null=True),
            "grade": Col("double", null=True, key="MUL"),
            "created": Col("datetime", key="MUL"),
            "modified": Col("datetime", key="MUL"),
            "max_grade": Col("double", null=True),
            "done": Col("varchar", 8, key="MUL"),
            "course_id": Col("varchar", 255, key="MUL"),
        },
        # Grades document: unique (student, module_id, course_id); indexes on module_type,
        # module_id, course_id, grade, done, created, modified.
        indexes=frozenset(
            {
                uniq("student_id", "module_id", "course_id"),
                idx("module_type"),
                idx("module_id"),
                idx("course_id"),
                idx("grade"),
                idx("done"),
                idx("created"),
                idx("modified"),
            }
        ),
    ),
    "certificates_generatedcertificate": Table(
        columns={
            "id": Col("int", key="PRI"),
            "user_id": Col("int", key="MUL"),
            "download_url": Col("varchar", 128),
            "grade": Col("varchar", 5),
            "course_id": Col("varchar", 255, key="MUL"),
            "key": Col("varchar", 32),
            "distinction": Col("tinyint"),
            "status": Col("varchar", 32),
            "verify_uuid": Col("varchar", 32),
            "download_uuid": Col("varchar", 32),
            "name": Col("varchar", 255),
            "created_date": Col("datetime"),
            "modified_date": Col("datetime"),
            "error_reason": Col("varchar", 512),
            "mode": Col("varchar", 32),
        },
        # "The table is indexed by user and course": UNIQUE (user_id, course_id) in the LMS.
        indexes=frozenset({uniq("user_id", "course_id"), idx("course_id")}),
    ),
    "grades_persistentcoursegrade": Table(
        columns={
            "id": Col("bigint", key="PRI", unsigned=True),
            "user_id": Col("int", key="MUL"),
            "course_id": Col("varchar", 255, key="MUL"),
            "course_edited_timestamp": Col("datetime", null=True),
            "course_version": Col("varchar", 255),
            "grading_policy_hash": Col("varchar", 255),
            "percent_grade": Col("double"),
            "letter_grade": Col("varchar", 255),
            "passed_timestamp": Col("datetime", null=True),
            "created": Col("datetime"),
            "modified": Col("datetime"),
        },
        indexes=frozenset(
            {uniq("course_id", "user_id"), idx("user_id"), idx("course_id", "passed_timestamp")}
        ),
    ),
    "grades_persistentsubsectiongrade": Table(
        columns={
            "id": Col("bigint", key="PRI", unsigned=True),
            "user_id": Col("int"),
            "course_id": Col("varchar", 255, key="MUL"),
            "usage_key": Col("varchar", 255),
            "subtree_edited_timestamp": Col("datetime", null=True),
            "course_version": Col("varchar", 255),
            "earned_all": Col("double"),
            "possible_all": Col("double"),
            "earned_graded": Col("double"),
            "possible_graded": Col("double"),
            "first_attempted": Col("datetime", null=True),
            "visible_blocks_hash": Col("varchar", 100, key="MUL"),
            "created": Col("datetime"),
            "modified": Col("datetime"),
        },
        indexes=frozenset({uniq("course_id", "user_id", "usage_key"), idx("visible_blocks_hash")}),
    ),
    "grades_visibleblocks": Table(
        columns={
            "id": Col("int", key="PRI"),
            "blocks_json": Col("longtext"),
            "hashed": Col("varchar", 100, key="UNI"),
            "course_id": Col("varchar", 255, key="MUL"),
        },
        indexes=frozenset({uniq("hashed"), idx("course_id")}),
    ),
    "grades_persistentsubsectiongradeoverride": Table(
        columns={
            "id": Col("int", key="PRI"),
            "created": Col("datetime", key="MUL"),
            "modified": Col("datetime", key="MUL"),
            "earned_all_override": Col("double", null=True),
            "possible_all_override": Col("double", null=True),
            "earned_graded_override": Col("double", null=True),
            "possible_graded_override": Col("double", null=True),
            "grade_id": Col("bigint", key="UNI", unsigned=True),
            "override_reason": Col("varchar", 300, null=True),
            "system": Col("varchar", 100, null=True),
        },
        indexes=frozenset({uniq("grade_id"), idx("created"), idx("modified")}),
    ),
    "grades_historicalpersistentsubsectiongradeoverride": Table(
        # Not in the spec documents: django-simple-history's table as in the LMS DDL.
        columns={
            "id": Col("int", key="MUL"),
            "created": Col("datetime", key="MUL"),
            "modified": Col("datetime", key="MUL"),
            "earned_all_override": Col("double", null=True),
            "possible_all_override": Col("double", null=True),
            "earned_graded_override": Col("double", null=True),
            "possible_graded_override": Col("double", null=True),
            "history_id": Col("int", key="PRI"),
            "history_date": Col("datetime", key="MUL"),
            "history_change_reason": Col("varchar", 100, null=True),
            "history_type": Col("varchar", 1),
            "grade_id": Col("bigint", null=True, key="MUL", unsigned=True),
            "history_user_id": Col("int", null=True, key="MUL"),
            "override_reason": Col("varchar", 300, null=True),
            "system": Col("varchar", 100, null=True),
        },
        indexes=frozenset(
            {
                idx("id"),
                idx("created"),
                idx("modified"),
                idx("history_date"),
                idx("grade_id"),
                idx("history_user_id"),
            }
        ),
    ),
    "submissions_studentitem": Table(
        # Not in the spec documents: edx-submissions' model and DDL.
        columns={
            "id": Col("int", key="PRI"),
            "student_id": Col("varchar", 255, key="MUL"),
            "course_id": Col("varchar", 255, key="MUL"),
            "item_id": Col("varchar", 255, key="MUL"),
            "item_type": Col("varchar", 100),
        },
        indexes=frozenset(
            {uniq("course_id", "student_id", "item_id"), idx("student_id"), idx("course_id"), idx("item_id")}
        ),
    ),
    "submissions_submission": Table(
        # Not in the spec documents: edx-submissions' model and DDL. Django 5 stores a UUID
        # in MariaDB's native uuid type, as edx-submissions' own MariaDB migration does.
        columns={
            "id": Col("int", key="PRI"),
            "uuid": Col(("char", "uuid"), null=False, key="MUL"),
            "attempt_number": Col("int", unsigned=True),
            "submitted_at": Col("datetime", key="MUL"),
            "created_at": Col("datetime", key="MUL"),
            "raw_answer": Col("longtext"),
            "student_item_id": Col("int", key="MUL"),
            "status": Col("varchar", 1),
            "team_submission_id": Col("int", null=True, key="MUL"),
        },
        indexes=frozenset(
            {
                idx("uuid"),
                idx("submitted_at"),
                idx("created_at"),
                idx("student_item_id"),
                idx("team_submission_id"),
            }
        ),
    ),
    "submissions_score": Table(
        columns={
            "id": Col("int", key="PRI"),
            "created_at": Col("datetime", key="MUL"),
            "points_earned": Col("int", unsigned=True),
            "points_possible": Col("double"),
            "reset": Col("tinyint"),
            "student_item_id": Col("int", key="MUL"),
            "submission_id": Col("int", null=True, key="MUL"),
        },
        indexes=frozenset({idx("student_item_id"), idx("submission_id"), idx("created_at")}),
    ),
    # Issue 14: the LMS's CREATE TABLE (devstack mysqldump of 2023), as in the package-tables note.
    "wiki_article": Table(
        columns={
            "id": Col("int", key="PRI"),
            "created": Col("datetime"),
            "modified": Col("datetime"),
            "group_read": Col("tinyint"),
            "group_write": Col("tinyint"),
            "other_read": Col("tinyint"),
            "other_write": Col("tinyint"),
            "current_revision_id": Col("int", null=True, key="UNI"),
            "group_id": Col("int", null=True, key="MUL"),
            "owner_id": Col("int", null=True, key="MUL"),
        },
        indexes=frozenset({uniq("current_revision_id"), idx("group_id"), idx("owner_id")}),
    ),
    "wiki_articlerevision": Table(
        columns={
            "id": Col("int", key="PRI"),
            "revision_number": Col("int"),
            "user_message": Col("longtext"),
            "automatic_log": Col("longtext"),
            "ip_address": Col("char", 39, null=True),
            "modified": Col("datetime"),
            "created": Col("datetime"),
            "deleted": Col("tinyint"),
            "locked": Col("tinyint"),
            "content": Col("longtext"),
            "title": Col("varchar", 512),
            "article_id": Col("int", key="MUL"),
            "previous_revision_id": Col("int", null=True, key="MUL"),
            "user_id": Col("int", null=True, key="MUL"),
        },
        indexes=frozenset(
            {uniq("article_id", "revision_number"), idx("previous_revision_id"), idx("user_id")}
        ),
    ),
    "student_languageproficiency": Table(
        columns={
            "id": Col("int", key="PRI"),
            "code": Col("varchar", 16, key="MUL"),
            "user_profile_id": Col("int", key="MUL"),
        },
        indexes=frozenset({uniq("code", "user_profile_id"), idx("user_profile_id")}),
    ),
    "teams_courseteam": Table(
        columns={
            "id": Col("int", key="PRI"),
            "team_id": Col("varchar", 255, key="UNI"),
            "discussion_topic_id": Col("varchar", 255, key="UNI"),
            "name": Col("varchar", 255, key="MUL"),
            "course_id": Col("varchar", 255, key="MUL"),
            "topic_id": Col("varchar", 255, key="MUL"),
            "date_created": Col("datetime"),
            "description": Col("varchar", 300),
            "country": Col("varchar", 2),
            "language": Col("varchar", 16),
            "last_activity_at": Col("datetime", key="MUL"),
            "team_size": Col("int", key="MUL"),
            "organization_protected": Col("tinyint"),
        },
        indexes=frozenset(
            {
                uniq("team_id"),
                uniq("discussion_topic_id"),
                idx("name"),
                idx("course_id"),
                idx("topic_id"),
                idx("last_activity_at"),
                idx("team_size"),
            }
        ),
    ),
    "teams_courseteammembership": Table(
        columns={
            "id": Col("int", key="PRI"),
            "date_joined": Col("datetime"),
            "last_activity_at": Col("datetime"),
            "team_id": Col("int", key="MUL"),
            "user_id": Col("int", key="MUL"),
        },
        indexes=frozenset({uniq("user_id", "team_id"), idx("team_id")}),
    ),
    # Course and forum roles, cohorts, credit and legacy reverification: the LMS's MySQL DDL
    # (package_tables.md §2.4-2.8; the verify_student tables from the 2016 DDL).
    "student_courseaccessrole": Table(
        columns={
            "id": Col("int", key="PRI"),
            "org": Col("varchar", 64, key="MUL"),
            "course_id": Col("varchar", 255, key="MUL"),
            "role": Col("varchar", 64, key="MUL"),
            "user_id": Col("int", key="MUL"),
        },
        indexes=frozenset(
            {uniq("user_id", "org", "course_id", "role"), idx("org"), idx("course_id"), idx("role")}
        ),
    ),
    "django_comment_client_role": Table(
        columns={
            "id": Col("int", key="PRI"),
            "name": Col("varchar", 30),
            "course_id": Col("varchar", 255, key="MUL"),
        },
        indexes=frozenset({idx("course_id")}),
    ),
    "django_comment_client_role_users": Table(
        columns={
            "id": Col("int", key="PRI"),
            "role_id": Col("int", key="MUL"),
            "user_id": Col("int", key="MUL"),
        },
        indexes=frozenset({uniq("role_id", "user_id"), idx("user_id", "role_id")}),
    ),
    "credit_creditcourse": Table(
        columns={
            "id": Col("int", key="PRI"),
            "course_key": Col("varchar", 255, key="UNI"),
            "enabled": Col("tinyint"),
        },
        indexes=frozenset({uniq("course_key")}),
    ),
    "credit_crediteligibility": Table(
        columns={
            "id": Col("int", key="PRI"),
            "created": Col("datetime"),
            "modified": Col("datetime"),
            "username": Col("varchar", 255, key="MUL"),
            "deadline": Col("datetime"),
            "course_id": Col("int", key="MUL"),
        },
        indexes=frozenset({uniq("username", "course_id"), idx("course_id"), idx("username")}),
    ),
    "course_groups_courseusergroup": Table(
        columns={
            "id": Col("int", key="PRI"),
            "name": Col("varchar", 255, key="MUL"),
            "course_id": Col("varchar", 255, key="MUL"),
            "group_type": Col("varchar", 20),
        },
        indexes=frozenset({uniq("name", "course_id"), idx("course_id")}),
    ),
    "course_groups_cohortmembership": Table(
        columns={
            "id": Col("int", key="PRI"),
            "course_id": Col("varchar", 255),
            "course_user_group_id": Col("int", key="MUL"),
            "user_id": Col("int", key="MUL"),
        },
        indexes=frozenset({uniq("user_id", "course_id"), idx("course_user_group_id")}),
    ),
    "verify_student_verificationcheckpoint": Table(
        columns={
            "id": Col("int", key="PRI"),
            "course_id": Col("varchar", 255, key="MUL"),
            "checkpoint_location": Col("varchar", 255),
        },
        indexes=frozenset({uniq("course_id", "checkpoint_location"), idx("course_id")}),
    ),
    "verify_student_verificationstatus": Table(
        columns={
            "id": Col("int", key="PRI"),
            "status": Col("varchar", 32, key="MUL"),
            "timestamp": Col("datetime"),
            "response": Col("longtext", null=True),
            "error": Col("longtext", null=True),
            "checkpoint_id": Col("int", key="MUL"),
            "user_id": Col("int", key="MUL"),
        },
        indexes=frozenset({idx("checkpoint_id"), idx("user_id"), idx("status")}),
    ),
    # ORA's assessment and workflow tables, submissions_scoresummary and the cohorts' link table:
    # the LMS's MySQL DDL (package_tables.md §2.7, §2.9); the retired AI tables from the 2016 DDL
    # (§2.10). workflow_assessmentworkflow.item_id is 255 wide, as in ORA since 2024.
    "assessment_rubric": Table(
        columns={
            "id": Col("int", key="PRI"),
            "content_hash": Col("varchar", 40, key="UNI"),
            "structure_hash": Col("varchar", 40, key="MUL"),
        },
        indexes=frozenset({uniq("content_hash"), idx("structure_hash")}),
    ),
    "assessment_criterion": Table(
        columns={
            "id": Col("int", key="PRI"),
            "name": Col("varchar", 100),
            "label": Col("varchar", 100),
            "order_num": Col("int", unsigned=True),
            "prompt": Col("longtext"),
            "rubric_id": Col("int", key="MUL"),
        },
        indexes=frozenset({idx("rubric_id")}),
    ),
    "assessment_criterionoption": Table(
        columns={
            "id": Col("int", key="PRI"),
            "order_num": Col("int", unsigned=True),
            "points": Col("int", unsigned=True),
            "name": Col("varchar", 100),
            "label": Col("varchar", 100),
            "explanation": Col("longtext"),
            "criterion_id": Col("int", key="MUL"),
        },
        indexes=frozenset({idx("criterion_id")}),
    ),
    "assessment_assessment": Table(
        columns={
            "id": Col("int", key="PRI"),
            "submission_uuid": Col("varchar", 128, key="MUL"),
            "scored_at": Col("datetime", key="MUL"),
            "scorer_id": Col("varchar", 40, key="MUL"),
            "score_type": Col("varchar", 2),
            "feedback": Col("longtext"),
            "rubric_id": Col("int", key="MUL"),
        },
        indexes=frozenset({idx("rubric_id"), idx("submission_uuid"), idx("scored_at"), idx("scorer_id")}),
    ),
    "assessment_assessmentpart": Table(
        columns={
            "id": Col("int", key="PRI"),
            "feedback": Col("longtext"),
            "assessment_id": Col("int", key="MUL"),
            "criterion_id": Col("int", key="MUL"),
            "option_id": Col("int", null=True, key="MUL"),
        },
        indexes=frozenset({idx("criterion_id"), idx("option_id"), idx("assessment_id")}),
    ),
    "assessment_assessmentfeedback": Table(
        columns={
            "id": Col("int", key="PRI"),
            "submission_uuid": Col("varchar", 128, key="UNI"),
            "feedback_text": Col("longtext"),
        },
        indexes=frozenset({uniq("submission_uuid")}),
    ),
    "assessment_assessmentfeedback_assessments": link_table("assessmentfeedback_id", "assessment_id"),
    "assessment_assessmentfeedback_options": link_table(
        "assessmentfeedback_id", "assessmentfeedbackoption_id"
    ),
    "assessment_assessmentfeedbackoption": Table(
        columns={"id": Col("int", key="PRI"), "text": Col("varchar", 255, key="UNI")},
        indexes=frozenset({uniq("text")}),
    ),
    "assessment_peerworkflow": Table(
        columns={
            "id": Col("int", key="PRI"),
            "student_id": Col("varchar", 40, key="MUL"),
            "item_id": Col("varchar", 128, key="MUL"),
            "course_id": Col("varchar", 255, key="MUL"),
            "submission_uuid": Col("varchar", 128, key="UNI"),
            "created_at": Col("datetime", key="MUL"),
            "completed_at": Col("datetime", null=True, key="MUL"),
            "grading_completed_at": Col("datetime", null=True, key="MUL"),
            "cancelled_at": Col("datetime", null=True, key="MUL"),
        },
        indexes=frozenset(
            {
                uniq("submission_uuid"),
                idx("student_id"),
                idx("item_id"),
                idx("course_id"),
                idx("created_at"),
                idx("completed_at"),
                idx("grading_completed_at"),
                idx("cancelled_at"),
            }
        ),
    ),
    "assessment_peerworkflowitem": Table(
        columns={
            "id": Col("int", key="PRI"),
            "submission_uuid": Col("varchar", 128, key="MUL"),
            "started_at": Col("datetime", key="MUL"),
            "scored": Col("tinyint"),
            "assessment_id": Col("int", null=True, key="MUL"),
            "author_id": Col("int", key="MUL"),
            "scorer_id": Col("int", key="MUL"),
        },
        indexes=frozenset(
            {
                idx("assessment_id"),
                idx("author_id"),
                idx("scorer_id"),
                idx("submission_uuid"),
                idx("started_at"),
            }
        ),
    ),
    "assessment_studenttrainingworkflow": Table(
        columns={
            "id": Col("int", key="PRI"),
            "submission_uuid": Col("varchar", 128, key="UNI"),
            "student_id": Col("varchar", 40, key="MUL"),
            "item_id": Col("varchar", 128, key="MUL"),
            "course_id": Col("varchar", 255, key="MUL"),
        },
        indexes=frozenset({uniq("submission_uuid"), idx("student_id"), idx("item_id"), idx("course_id")}),
    ),
    "assessment_studenttrainingworkflowitem": Table(
        columns={
            "id": Col("int", key="PRI"),
            "order_num": Col("int", unsigned=True),
            "started_at": Col("datetime"),
            "completed_at": Col("datetime", null=True),
            "training_example_id": Col("int", key="MUL"),
            "workflow_id": Col("int", key="MUL"),
        },
        indexes=frozenset({uniq("workflow_id", "order_num"), idx("training_example_id")}),
    ),
    "assessment_trainingexample": Table(
        columns={
            "id": Col("int", key="PRI"),
            "raw_answer": Col("longtext"),
            "content_hash": Col("varchar", 40, key="UNI"),
            "rubric_id": Col("int", key="MUL"),
        },
        indexes=frozenset({uniq("content_hash"), idx("rubric_id")}),
    ),
    "assessment_trainingexample_options_selected": link_table("trainingexample_id", "criterionoption_id"),
    "assessment_aiclassifierset": Table(
        columns={
            "id": Col("int", key="PRI"),
            "created_at": Col("datetime", key="MUL"),
            "algorithm_id": Col("varchar", 128, key="MUL"),
            "course_id": Col("varchar", 40, key="MUL"),
            "item_id": Col("varchar", 128, key="MUL"),
            "rubric_id": Col("int", key="MUL"),
        },
        indexes=frozenset(
            {idx("created_at"), idx("algorithm_id"), idx("course_id"), idx("item_id"), idx("rubric_id")}
        ),
    ),
    "assessment_aiclassifier": Table(
        columns={
            "id": Col("int", key="PRI"),
            "classifier_data": Col("varchar", 100),
            "classifier_set_id": Col("int", key="MUL"),
            "criterion_id": Col("int", key="MUL"),
        },
        indexes=frozenset({idx("classifier_set_id"), idx("criterion_id")}),
    ),
    "assessment_aitrainingworkflow": Table(
        columns={
            "id": Col("int", key="PRI"),
            **AI_WORKFLOW_COLUMNS,
            "classifier_set_id": Col("int", null=True, key="MUL"),
        },
        indexes=frozenset(
            {
                *AI_WORKFLOW_INDEXES,
                idx("classifier_set_id"),
            }
        ),
    ),
    "assessment_aitrainingworkflow_training_examples": link_table(
        "aitrainingworkflow_id", "trainingexample_id"
    ),
    "assessment_aigradingworkflow": Table(
        columns={
            "id": Col("int", key="PRI"),
            **AI_WORKFLOW_COLUMNS,
            "submission_uuid": Col("varchar", 128, key="MUL"),
            "essay_text": Col("longtext"),
            "student_id": Col("varchar", 40, key="MUL"),
            "assessment_id": Col("int", null=True, key="MUL"),
            "classifier_set_id": Col("int", null=True, key="MUL"),
            "rubric_id": Col("int", key="MUL"),
        },
        indexes=frozenset(
            {
                *AI_WORKFLOW_INDEXES,
                idx("submission_uuid"),
                idx("student_id"),
                idx("assessment_id"),
                idx("classifier_set_id"),
                idx("rubric_id"),
            }
        ),
    ),
    "submissions_scoresummary": Table(
        columns={
            "id": Col("int", key="PRI"),
            "highest_id": Col("int", key="MUL"),
            "latest_id": Col("int", key="MUL"),
            "student_item_id": Col("int", key="UNI"),
        },
        indexes=frozenset({uniq("student_item_id"), idx("highest_id"), idx("latest_id")}),
    ),
    "workflow_assessmentworkflow": Table(
        columns={
            "id": Col("int", key="PRI"),
            "created": Col("datetime"),
            "modified": Col("datetime"),
            "status": Col("varchar", 100),
            "status_changed": Col("datetime"),
            "submission_uuid": Col("varchar", 36, key="UNI"),
            # char(32) on MySQL; Django 5 stores a UUID in MariaDB's native uuid type.
            "uuid": Col(("char", "uuid"), key="UNI"),
            "course_id": Col("varchar", 255, key="MUL"),
            "item_id": Col("varchar", 255, key="MUL"),
        },
        indexes=frozenset({uniq("submission_uuid"), uniq("uuid"), idx("course_id"), idx("item_id")}),
    ),
    "workflow_assessmentworkflowstep": Table(
        columns={
            "id": Col("int", key="PRI"),
            "name": Col("varchar", 20),
            "submitter_completed_at": Col("datetime", null=True),
            "assessment_completed_at": Col("datetime", null=True),
            "order_num": Col("int", unsigned=True),
            "workflow_id": Col("int", key="MUL"),
            "skipped": Col("tinyint", null=True),
        },
        indexes=frozenset({idx("workflow_id")}),
    ),
    "course_groups_courseusergroup_users": link_table("courseusergroup_id", "user_id"),
    # edx-schema's own table (the org-level opt-in list); its shape is edx-schema's, not the LMS's.
    "edx_schema_emailoptin": Table(
        columns={
            "id": Col("int", key="PRI"),
            "org": Col("varchar", 255, key="MUL"),
            "user_id": Col("int", null=True, key="MUL"),
            "username": Col("varchar", 150, null=True),
            "email": Col("varchar", 254, key="MUL"),
            "full_name": Col("varchar", 255),
            "course_id": Col("varchar", 255, key="MUL"),
            "is_opted_in_for_email": Col("tinyint"),
            "preference_recorded": Col("tinyint"),
            "preference_set_datetime": Col("datetime", null=True),
        },
        indexes=frozenset(
            {uniq("org", "user_id", "course_id"), idx("user_id"), idx("email"), idx("course_id")}
        ),
    ),
}


#: Deliberate differences from the spec: (table, column or "index", what, actual) -> reason.
#: ``what`` is "missing", "family", "null", "key" or "width" for columns, and "missing" or
#: "extra" for indexes, whose ``column`` is the index's column tuple.
DEVIATIONS: dict[tuple[str, object, str, object], str] = {
    **{
        ("auth_user", name, "missing", None): "Obsolete Askbot column: the exporter fills it with a constant."
        for name in ASKBOT_COLUMNS
    },
    ("auth_user", "last_login", "null", True): "Django's User (1.8+) and so the LMS allow NULL.",
    ("auth_userprofile", "allow_certificate", "null", True): (
        "The LMS dropped the column in April 2021; NULL marks rows from exports without it."
    ),
    ("user_api_usercoursetag", "id", "extra", None): "The LMS model has an id primary key.",
    ("user_api_usercoursetag", "user_id", "key", "MUL"): (
        "The LMS keys the table on id, with UNIQUE (user_id, course_id, key)."
    ),
    ("user_api_usercoursetag", "course_id", "key", "MUL"): "The LMS indexes course_id.",
    ("user_api_usercoursetag", "key", "key", "MUL"): "The LMS indexes key.",
    ("user_api_usercoursetag", ("user_id", "course_id", "key"), "extra", True): (
        "The LMS's unique_together (user, course_id, key)."
    ),
    ("user_api_usercoursetag", ("key",), "extra", False): "The LMS indexes key.",
    ("user_api_usercoursetag", ("course_id",), "extra", False): "The LMS indexes course_id.",
    ("user_id_map", "hash_id", "family", "varchar"): "hash_id is 32 hex characters, not an int.",
    ("courseware_studentmodule", "id", "family", "bigint"): (
        "The LMS made id bigint UNSIGNED in 2019 (courseware 0011_csm_id_bigint)."
    ),
    ("courseware_studentmodule", ("module_id",), "missing", False): (
        "The LMS dropped this index in 2018; courseware_stats (module_id, grade, student_id) serves it."
    ),
    ("courseware_studentmodule", ("module_id", "grade", "student_id"), "extra", False): (
        "The LMS's courseware_stats index (2021)."
    ),
    ("certificates_generatedcertificate", "verify_uuid", "key", "MUL"): (
        "The LMS indexes verify_uuid (certificate verification looks rows up by it)."
    ),
    ("certificates_generatedcertificate", ("verify_uuid",), "extra", False): "The LMS indexes verify_uuid.",
    ("grades_persistentcoursegrade", "passed_timestamp", "key", "MUL"): (
        "The LMS index is (passed_timestamp, course_id), so passed_timestamp leads it."
    ),
    ("grades_persistentcoursegrade", "modified", "key", "MUL"): "The LMS index (modified, course_id).",
    ("grades_persistentcoursegrade", ("course_id", "passed_timestamp"), "missing", False): (
        "The LMS orders the columns (passed_timestamp, course_id), index passed_timestamp_course_id_idx."
    ),
    ("grades_persistentcoursegrade", ("passed_timestamp", "course_id"), "extra", False): (
        "The LMS's passed_timestamp_course_id_idx."
    ),
    ("grades_persistentcoursegrade", ("modified", "course_id"), "extra", False): (
        "The LMS's modified_course_id_idx."
    ),
    ("grades_persistentsubsectiongrade", "first_attempted", "key", "MUL"): (
        "The LMS index first_course_id_user_id_idx leads with first_attempted."
    ),
    ("grades_persistentsubsectiongrade", "modified", "key", "MUL"): (
        "The LMS index course_id_usage_key_idx leads with modified."
    ),
    ("grades_persistentsubsectiongrade", ("modified", "course_id", "usage_key"), "extra", False): (
        "The LMS's course_id_usage_key_idx."
    ),
    ("grades_persistentsubsectiongrade", ("first_attempted", "course_id", "user_id"), "extra", False): (
        "The LMS's first_course_id_user_id_idx."
    ),
    ("courseware_studentmodule", "id", "unsigned", True): "bigint UNSIGNED, as in the LMS.",
}
