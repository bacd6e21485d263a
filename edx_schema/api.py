"""Public Python interface of edx-schema (OEP-49): import from here, not from internals."""

from .errors import (
    ConfigurationError,
    EdxSchemaError,
    FormatError,
    GradingPolicyError,
    InvalidKeyError,
    PackageError,
)
from .grading import CourseGrade, Totals, apply_override, course_grade, grading_policy_hash, merge_policy
from .package.source import Decryption
from .services.demo import DemoSummary, load_demo
from .services.importer import ImportOptions, ImportSummary, MemberResult, import_packages
from .services.overrides import override_subsection_grade
from .visible_blocks import blocks_hash, blocks_json

__all__ = [
    "ConfigurationError",
    "CourseGrade",
    "Decryption",
    "DemoSummary",
    "EdxSchemaError",
    "FormatError",
    "GradingPolicyError",
    "ImportOptions",
    "ImportSummary",
    "InvalidKeyError",
    "MemberResult",
    "PackageError",
    "Totals",
    "apply_override",
    "blocks_hash",
    "blocks_json",
    "course_grade",
    "grading_policy_hash",
    "import_packages",
    "load_demo",
    "merge_policy",
    "override_subsection_grade",
]
