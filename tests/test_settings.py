"""Project settings: SQLite by default, MySQL options from DATABASE_URL, a deployable production module."""

import os
import subprocess
import sys
from pathlib import Path

from settings.base import database_from_url

ROOT = Path(__file__).resolve().parent.parent


def test_mysql_url_gets_utf8mb4_strict_mode_and_local_infile():
    database = database_from_url("mysql://root@127.0.0.1:3306/research")
    assert database["ENGINE"] == "django.db.backends.mysql"
    assert database["NAME"] == "research"
    assert database["OPTIONS"]["charset"] == "utf8mb4"
    assert database["OPTIONS"]["local_infile"] == 1
    assert "STRICT_TRANS_TABLES" in database["OPTIONS"]["init_command"]
    assert database["TEST"]["CHARSET"] == "utf8mb4"


def test_url_options_win_over_the_defaults():
    database = database_from_url("mysql://u:p@db/research?local_infile=0&charset=utf8")
    assert database["OPTIONS"]["local_infile"] == 0
    assert database["OPTIONS"]["charset"] == "utf8"


def test_sqlite_waits_for_another_process_write_lock_and_takes_it_when_a_transaction_starts():
    database = database_from_url("sqlite:////tmp/x.sqlite3")
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["OPTIONS"] == {
        "timeout": 60,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    assert database_from_url("sqlite:////tmp/x.sqlite3?timeout=5")["OPTIONS"]["timeout"] == 5


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="settings.production",
        DJANGO_SECRET_KEY="k3y-" + "7f2Qx9Lm4Rt8Vb1Zc6Nh0Jp5Wd3Gs" * 2,
        DJANGO_ALLOWED_HOSTS="data.example.edu",
    )
    assert result.returncode == 0, result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_SETTINGS_MODULE="settings.production", DJANGO_ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
