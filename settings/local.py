"""Development settings: the default for manage.py and the tests."""

from .base import *  # noqa: F403
