"""Each ``.sql`` member's row, named: a row type's fields are its member's header, in file order.

The one definition of every header the builder writes: the writers take the header from the row
type (``Row._fields``), so that a column cannot be added to one and not the other. The orders are
the exporter's; the importer reads columns by name, so it does not depend on them.
"""

from __future__ import annotations

from typing import NamedTuple

from ..names import AUTH_USER_ASKBOT_COLUMNS


class AuthUserRow(NamedTuple):
    """auth_user, without the constant Askbot columns the exporter appends (see below)."""

    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    password: str
    is_staff: int
    is_active: int
    is_superuser: int
    last_login: str | None
    date_joined: str


#: The value the exporter writes in each of auth_user's Askbot columns, by column name.
ASKBOT_VALUES: dict[str, object] = {
    "status": "",
    "email_key": None,
    "avatar_type": "",
    "country": "",
    "show_country": 0,
    "date_of_birth": None,
    "interesting_tags": "",
    "ignored_tags": "",
    "email_tag_filter_strategy": 0,
    "display_tag_filter_strategy": 0,
    "consecutive_days_visit_count": 0,
}
#: The Askbot columns' values in the order that ``names.AUTH_USER_ASKBOT_COLUMNS`` gives them.
ASKBOT_TAIL: tuple[object, ...] = tuple(ASKBOT_VALUES[column] for column in AUTH_USER_ASKBOT_COLUMNS)
AUTH_USER_HEADER: tuple[str, ...] = (*AuthUserRow._fields, *AUTH_USER_ASKBOT_COLUMNS)


class ProfileRow(NamedTuple):
    """auth_userprofile."""

    id: int
    user_id: int
    name: str
    language: str
    location: str
    meta: str
    courseware: str
    gender: str | None
    mailing_address: str
    year_of_birth: int | None
    level_of_education: str
    goals: str | None
    country: str
    city: str
    bio: str | None
    profile_image_uploaded_at: str | None
    state: str | None


class EnrollmentRow(NamedTuple):
    """student_courseenrollment."""

    id: int
    user_id: int
    course_id: str
    created: str
    is_active: int
    mode: str


class AnonymousUserIdRow(NamedTuple):
    """student_anonymoususerid."""

    id: int
    user_id: int
    anonymous_user_id: str
    course_id: str


class UserIdMapRow(NamedTuple):
    """user_id_map, as exported since Oct 2022 (see :func:`user_id_map_header` for before)."""

    hash_id: str
    user_id: int
    username: str


def user_id_map_header(*, legacy: bool) -> tuple[str, ...]:
    """user_id_map's header: exports from before Oct 2022 (legacy courses here) name user_id ``id``."""
    if not legacy:
        return UserIdMapRow._fields
    return tuple("id" if column == "user_id" else column for column in UserIdMapRow._fields)


class UserCourseTagRow(NamedTuple):
    """user_api_usercoursetag."""

    id: int
    user_id: int
    key: str
    course_id: str
    value: str


class StudentModuleRow(NamedTuple):
    """courseware_studentmodule; the builder fills it with exporter text (see courseware)."""

    id: int
    module_type: str
    module_id: str
    student_id: int
    state: str
    grade: float
    created: str
    modified: str
    max_grade: float
    done: str
    course_id: str


class CertificateRow(NamedTuple):
    """certificates_generatedcertificate."""

    id: int
    user_id: int
    download_url: str
    grade: str
    course_id: str
    key: str
    distinction: int
    status: str
    verify_uuid: str
    download_uuid: str
    name: str
    created_date: str
    modified_date: str
    error_reason: str
    mode: str


class CourseGradeRow(NamedTuple):
    """grades_persistentcoursegrade (no id: keyed by course and learner)."""

    course_id: str
    user_id: int
    grading_policy_hash: str
    percent_grade: float
    letter_grade: str
    passed_timestamp: str | None
    created: str
    modified: str


class SubsectionGradeRow(NamedTuple):
    """grades_persistentsubsectiongrade (no id: keyed by course, learner and subsection)."""

    course_id: str
    user_id: int
    usage_key: str
    earned_all: float
    possible_all: float
    earned_graded: float
    possible_graded: float
    first_attempted: str
    created: str
    modified: str


class StudentItemRow(NamedTuple):
    """submissions_studentitem (ORA)."""

    id: int
    student_id: str
    course_id: str
    item_id: str
    item_type: str


class SubmissionRow(NamedTuple):
    """submissions_submission (ORA)."""

    id: int
    uuid: str
    attempt_number: int
    submitted_at: str
    created_at: str
    raw_answer: str
    student_item_id: int
    status: str


class ScoreRow(NamedTuple):
    """submissions_score (ORA)."""

    id: int
    student_item_id: int
    submission_id: int
    points_earned: int
    points_possible: int
    created_at: str
    reset: int


class WikiArticleRow(NamedTuple):
    """wiki_article: written empty, for the importer to report as skipped."""

    id: int
    current_revision_id: int
    created: str
