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
    """wiki_article, in edX's physical order (the exporter's ``SELECT a.*``; PIPE's fixture)."""

    id: int
    current_revision_id: int | None
    created: str
    modified: str
    owner_id: int | None
    group_id: int | None
    group_read: int
    group_write: int
    other_read: int
    other_write: int


class WikiArticleRevisionRow(NamedTuple):
    """wiki_articlerevision, in edX's physical order (``SELECT ar.*``; PIPE's fixture)."""

    id: int
    revision_number: int
    user_message: str
    automatic_log: str
    ip_address: str | None
    user_id: int | None
    modified: str
    created: str
    previous_revision_id: int | None
    deleted: int
    locked: int
    article_id: int
    content: str
    title: str


class LanguageProficiencyRow(NamedTuple):
    """student_languageproficiency: ``user_profile_id`` before ``code``, as on edX's database."""

    id: int
    user_profile_id: int
    code: str


class TeamRow(NamedTuple):
    """teams_courseteam (member ``teams``); ``organization_protected`` was appended in Nov 2019."""

    id: int
    team_id: str
    name: str
    course_id: str
    topic_id: str
    date_created: str
    description: str
    country: str
    language: str
    discussion_topic_id: str
    last_activity_at: str
    team_size: int
    organization_protected: int


class TeamMembershipRow(NamedTuple):
    """teams_courseteammembership (member ``teams_membership``), in edX's physical order."""

    id: int
    user_id: int
    team_id: int
    date_joined: str
    last_activity_at: str


class CourseAccessRoleRow(NamedTuple):
    """student_courseaccessrole: the exporter selects these four columns, no id."""

    org: str
    course_id: str
    user_id: int
    role: str


class ForumRoleUserRow(NamedTuple):
    """django_comment_client_role_users joined to its role: the role's course and name, no ids."""

    course_id: str
    user_id: int
    name: str


class CreditEligibilityRow(NamedTuple):
    """credit_crediteligibility, with the credit course's key string as ``course_id``."""

    id: int
    created: str
    modified: str
    username: str
    deadline: str
    course_id: str


class CohortMembershipRow(NamedTuple):
    """course_groups_cohortmembership joined to its cohort (group type and name), no ids."""

    user_id: int
    course_id: str
    group_type: str
    name: str


class VerificationStatusRow(NamedTuple):
    """verify_student_verificationstatus joined to its checkpoint (legacy, 2015-08 to 2018-04)."""

    timestamp: str
    status: str
    course_id: str
    checkpoint_location: str
    user_id: int


# The ORA tables below are in the physical order of edX's long-lived database: the columns of
# ORA's first (South) migrations, then those later migrations appended (rubric structure_hash,
# assessmentpart feedback and criterion_id, criterion and option label, peerworkflow
# grading_completed_at and cancelled_at, workflow course_id and item_id, workflow step
# skipped). A 2015 ``inspectdb`` of a production Open edX database has the same orders.


class RubricRow(NamedTuple):
    """assessment_rubric (global: its ids recur in every course that uses the rubric)."""

    id: int
    content_hash: str
    structure_hash: str


class CriterionRow(NamedTuple):
    """assessment_criterion (global)."""

    id: int
    rubric_id: int
    name: str
    order_num: int
    prompt: str
    label: str


class CriterionOptionRow(NamedTuple):
    """assessment_criterionoption (global)."""

    id: int
    criterion_id: int
    order_num: int
    points: int
    name: str
    explanation: str
    label: str


class AssessmentRow(NamedTuple):
    """assessment_assessment: one peer (``PE``) or self (``SE``) assessment of a submission."""

    id: int
    submission_uuid: str
    rubric_id: int
    scored_at: str
    scorer_id: str
    score_type: str
    feedback: str


class AssessmentPartRow(NamedTuple):
    """assessment_assessmentpart: the option an assessment chose for one criterion."""

    id: int
    assessment_id: int
    option_id: int | None
    feedback: str
    criterion_id: int


class AssessmentFeedbackRow(NamedTuple):
    """assessment_assessmentfeedback: a learner's feedback on the assessments they received."""

    id: int
    submission_uuid: str
    feedback_text: str


class AssessmentFeedbackAssessmentRow(NamedTuple):
    """assessment_assessmentfeedback_assessments (the feedback's assessments, a link table)."""

    id: int
    assessmentfeedback_id: int
    assessment_id: int


class AssessmentFeedbackOptionLinkRow(NamedTuple):
    """assessment_assessmentfeedback_options (the options the feedback ticked, a link table)."""

    id: int
    assessmentfeedback_id: int
    assessmentfeedbackoption_id: int


class AssessmentFeedbackOptionRow(NamedTuple):
    """assessment_assessmentfeedbackoption (global: a few fixed sentences)."""

    id: int
    text: str


class PeerWorkflowRow(NamedTuple):
    """assessment_peerworkflow: one per peer-assessed submission."""

    id: int
    student_id: str
    item_id: str
    course_id: str
    submission_uuid: str
    created_at: str
    completed_at: str | None
    grading_completed_at: str | None
    cancelled_at: str | None


class PeerWorkflowItemRow(NamedTuple):
    """assessment_peerworkflowitem: a scorer's workflow taking an author's submission to assess."""

    id: int
    scorer_id: int
    author_id: int
    submission_uuid: str
    started_at: str
    assessment_id: int | None
    scored: int


class StudentTrainingWorkflowRow(NamedTuple):
    """assessment_studenttrainingworkflow: one per submission of a problem with a training step."""

    id: int
    submission_uuid: str
    student_id: str
    item_id: str
    course_id: str


class StudentTrainingWorkflowItemRow(NamedTuple):
    """assessment_studenttrainingworkflowitem: one training example a learner assessed."""

    id: int
    workflow_id: int
    order_num: int
    started_at: str
    completed_at: str | None
    training_example_id: int


class TrainingExampleRow(NamedTuple):
    """assessment_trainingexample (global): an example answer and the options it deserves."""

    id: int
    raw_answer: str
    rubric_id: int
    content_hash: str


class TrainingExampleOptionRow(NamedTuple):
    """assessment_trainingexample_options_selected (a link table)."""

    id: int
    trainingexample_id: int
    criterionoption_id: int


class ScoreSummaryRow(NamedTuple):
    """submissions_scoresummary: a student item's highest and latest score."""

    id: int
    student_item_id: int
    highest_id: int
    latest_id: int


class AssessmentWorkflowRow(NamedTuple):
    """workflow_assessmentworkflow: one per ORA submission, its status the step it waits on."""

    id: int
    created: str
    modified: str
    status: str
    status_changed: str
    submission_uuid: str
    uuid: str
    course_id: str
    item_id: str


class AssessmentWorkflowStepRow(NamedTuple):
    """workflow_assessmentworkflowstep: one per step of a workflow; ``skipped`` appended in 2020."""

    id: int
    workflow_id: int
    name: str
    submitter_completed_at: str | None
    assessment_completed_at: str | None
    order_num: int
    skipped: int | None


class EmailOptInRow(NamedTuple):
    """The org-level e-mail opt-in CSV: one row per enrollment in the org's courses."""

    user_id: int
    username: str
    email: str
    full_name: str
    course_id: str
    is_opted_in_for_email: str
    preference_set_datetime: str
