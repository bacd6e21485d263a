"""Public Python interface of edx-schema (OEP-49): import from here, not from internals."""

from .errors import (
    ConfigurationError,
    EdxSchemaError,
    FormatError,
    GradingPolicyError,
    InvalidKeyError,
    InvalidKeyFormatError,
    PackageError,
)
from .grading import (
    CourseGrade,
    CourseGrader,
    Totals,
    apply_override,
    course_grade,
    grading_policy_hash,
    merge_policy,
)
from .importing import ImportOptions, ImportSummary, MemberResult, import_packages
from .package.source import Decryption
from .scoring import (
    Learner,
    ModuleScore,
    SubmissionScore,
    SubsectionGrader,
    SubsectionScore,
    grade_subsection,
)
from .services.course_tree import course_tree
from .services.overrides import (
    Correction,
    correct_subsection_grade,
    delete_subsection_override,
    override_subsection_grade,
)
from .services.recompute import CourseResult, recompute_course
from .services.research import (
    STAFF_FORUM_ROLES,
    is_retired,
    learners_without_staff,
    retired_learners,
)
from .services.scores import ScoresResult, learner_scores, recompute_from_scores
from .visible_blocks import blocks_hash, blocks_json

__all__ = [
    "STAFF_FORUM_ROLES",
    "ConfigurationError",
    "Correction",
    "CourseGrade",
    "CourseGrader",
    "CourseResult",
    "Decryption",
    "EdxSchemaError",
    "FormatError",
    "GradingPolicyError",
    "ImportOptions",
    "ImportSummary",
    "InvalidKeyError",
    "InvalidKeyFormatError",
    "Learner",
    "MemberResult",
    "ModuleScore",
    "PackageError",
    "ScoresResult",
    "SubmissionScore",
    "SubsectionGrader",
    "SubsectionScore",
    "Totals",
    "apply_override",
    "blocks_hash",
    "blocks_json",
    "correct_subsection_grade",
    "course_grade",
    "course_tree",
    "delete_subsection_override",
    "grade_subsection",
    "grading_policy_hash",
    "import_packages",
    "is_retired",
    "learner_scores",
    "learners_without_staff",
    "merge_policy",
    "override_subsection_grade",
    "recompute_course",
    "recompute_from_scores",
    "retired_learners",
]
