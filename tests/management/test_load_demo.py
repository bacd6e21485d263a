"""``manage.py load_demo`` prints per-table counts and rejects bad arguments without a traceback."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_load_demo_prints_a_summary():
    out = StringIO()
    call_command("load_demo", "--learners", "3", stdout=out)
    text = out.getvalue()
    assert "auth_user" in text
    assert "courseware_studentmodule" in text
    assert "Demo data loaded" in text


def test_load_demo_is_silent_at_verbosity_zero():
    out = StringIO()
    call_command("load_demo", "--learners", "2", verbosity=0, stdout=out)
    assert out.getvalue() == ""


def test_load_demo_rejects_zero_learners():
    with pytest.raises(CommandError, match="--learners must be at least 1"):
        call_command("load_demo", "--learners", "0")
