"""The LMS learner-data tables, one module per LMS area.

``auth_user`` is Django's own ``django.contrib.auth.models.User``, as in the LMS; edx-schema adds
the unique index on ``email`` that the LMS adds with a migration of its own.
"""

from .assessment import (
    AIClassifier,
    AIClassifierSet,
    AIGradingWorkflow,
    AITrainingWorkflow,
    AITrainingWorkflowTrainingExamples,
    Assessment,
    AssessmentFeedback,
    AssessmentFeedbackAssessments,
    AssessmentFeedbackOption,
    AssessmentFeedbackOptions,
    AssessmentPart,
    Criterion,
    CriterionOption,
    PeerWorkflow,
    PeerWorkflowItem,
    Rubric,
    StudentTrainingWorkflow,
    StudentTrainingWorkflowItem,
    TrainingExample,
    TrainingExampleOptionsSelected,
)
from .certificates import GeneratedCertificate
from .cohorts import CohortMembership, CourseUserGroup, CourseUserGroupUsers
from .courses import CourseBlock, CourseContentBlock, GradingPolicy
from .courseware import StudentModule
from .credit import CreditCourse, CreditEligibility
from .forum import ForumPost
from .grades import (
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    VisibleBlocks,
)
from .imports import ImportRecord
from .roles import CourseAccessRole, ForumRole, ForumRoleUser
from .student import AnonymousUserId, CourseEnrollment, LanguageProficiency, UserIdMap, UserProfile
from .submissions import Score, ScoreSummary, StudentItem, Submission
from .teams import CourseTeam, CourseTeamMembership
from .tracking import TrackingEvent, TrackingLogFile
from .user_api import EmailOptIn, UserCourseTag
from .verify_student import VerificationCheckpoint, VerificationStatus
from .wiki import Article, ArticleRevision
from .workflow import AssessmentWorkflow, AssessmentWorkflowStep

#: edx-schema's own tables (import log, course outline, grading policy, forum, tracking logs): not
#: LMS tables.
OWN_MODELS = (
    ImportRecord,
    CourseBlock,
    CourseContentBlock,
    GradingPolicy,
    ForumPost,
    TrackingLogFile,
    TrackingEvent,
)

__all__ = [
    "OWN_MODELS",
    "AIClassifier",
    "AIClassifierSet",
    "AIGradingWorkflow",
    "AITrainingWorkflow",
    "AITrainingWorkflowTrainingExamples",
    "AnonymousUserId",
    "Article",
    "ArticleRevision",
    "Assessment",
    "AssessmentFeedback",
    "AssessmentFeedbackAssessments",
    "AssessmentFeedbackOption",
    "AssessmentFeedbackOptions",
    "AssessmentPart",
    "AssessmentWorkflow",
    "AssessmentWorkflowStep",
    "CohortMembership",
    "CourseAccessRole",
    "CourseBlock",
    "CourseContentBlock",
    "CourseEnrollment",
    "CourseTeam",
    "CourseTeamMembership",
    "CourseUserGroup",
    "CourseUserGroupUsers",
    "CreditCourse",
    "CreditEligibility",
    "Criterion",
    "CriterionOption",
    "EmailOptIn",
    "ForumPost",
    "ForumRole",
    "ForumRoleUser",
    "GeneratedCertificate",
    "GradingPolicy",
    "ImportRecord",
    "LanguageProficiency",
    "PeerWorkflow",
    "PeerWorkflowItem",
    "PersistentCourseGrade",
    "PersistentSubsectionGrade",
    "PersistentSubsectionGradeOverride",
    "Rubric",
    "Score",
    "ScoreSummary",
    "StudentItem",
    "StudentModule",
    "StudentTrainingWorkflow",
    "StudentTrainingWorkflowItem",
    "Submission",
    "TrackingEvent",
    "TrackingLogFile",
    "TrainingExample",
    "TrainingExampleOptionsSelected",
    "UserCourseTag",
    "UserIdMap",
    "UserProfile",
    "VerificationCheckpoint",
    "VerificationStatus",
    "VisibleBlocks",
]
