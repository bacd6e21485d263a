"""Public Python interface of edx-schema (OEP-49): import from here, not from internals."""

from .errors import ConfigurationError, EdxSchemaError, InvalidKeyError
from .services.demo import DemoSummary, load_demo
from .services.overrides import override_subsection_grade
from .visible_blocks import blocks_hash, blocks_json

__all__ = [
    "ConfigurationError",
    "DemoSummary",
    "EdxSchemaError",
    "InvalidKeyError",
    "blocks_hash",
    "blocks_json",
    "load_demo",
    "override_subsection_grade",
]
