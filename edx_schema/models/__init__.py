"""The LMS learner-data tables, one module per LMS area.

``auth_user`` is Django's own ``django.contrib.auth.models.User``, as in the LMS; edx-schema adds
the unique index on ``email`` that the LMS adds with a migration of its own.
"""

from .certificates import GeneratedCertificate
from .courseware import StudentModule
from .grades import (
    PersistentCourseGrade,
    PersistentSubsectionGrade,
    PersistentSubsectionGradeOverride,
    VisibleBlocks,
)
from .imports import ImportRecord
from .student import AnonymousUserId, CourseEnrollment, UserIdMap, UserProfile
from .submissions import Score, StudentItem, Submission
from .user_api import UserCourseTag

__all__ = [
    "AnonymousUserId",
    "CourseEnrollment",
    "GeneratedCertificate",
    "ImportRecord",
    "PersistentCourseGrade",
    "PersistentSubsectionGrade",
    "PersistentSubsectionGradeOverride",
    "Score",
    "StudentItem",
    "StudentModule",
    "Submission",
    "UserCourseTag",
    "UserIdMap",
    "UserProfile",
    "VisibleBlocks",
]
