"""The README's quick start needs no MySQL driver on SQLite, and the suite's rules for CI hold.

The rules: tests marked ``mariadb`` are deselected on SQLite (the MariaDB pass runs them), and
``--no-skips`` (the default when ``CI=true``, as in ``.ci/run``) turns any skip into a failure.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "universityx-2024-11-17.zip"
#: On PYTHONPATH, this folder's sitecustomize makes MySQLdb (and PyMySQL) unimportable.
NO_MYSQLDB = Path(__file__).resolve().parent / "no_mysqldb"


def run(args, *, env, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_quick_start_runs_on_sqlite_without_the_mysql_driver(tmp_path):
    database = tmp_path / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}  # manage.py's own default
    env.update(PYTHONPATH=str(NO_MYSQLDB), DATABASE_URL=f"sqlite:///{database}")
    hidden = run([sys.executable, "-c", "import MySQLdb"], env=env)
    assert hidden.returncode != 0, "the driver is still importable: this test would prove nothing"
    assert "MySQLdb" in hidden.stderr
    for command in (["migrate", "-v0"], ["import_package", str(FIXTURE)]):
        done = run([sys.executable, "manage.py", *command], env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    with sqlite3.connect(database) as connection:
        (learners,) = connection.execute("SELECT COUNT(*) FROM auth_user").fetchone()
    assert learners > 0


SUITE = """
import pytest

def test_plain():
    pass

@pytest.mark.mariadb
def test_needs_the_server():
    pass

def test_skipped():
    pytest.skip("no server here")
"""


def test_mariadb_tests_are_deselected_on_sqlite_and_no_skips_fails_a_skip(tmp_path):
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "test_skipped_module.py").write_text("import pytest\npytest.importorskip('no_such_driver')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.pop("CI", None)
    # This suite's conftest as a plugin, with its settings, over the files above.
    pytest = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path)]
    pytest += ["-p", "tests.conftest", "-p", "no:cacheprovider", "--continue-on-collection-errors", "-rfEs"]

    allowed = run([*pytest, str(tmp_path)], env=env, cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "1 passed, 2 skipped, 1 deselected" in allowed.stdout, allowed.stdout

    strict = run([*pytest, "--no-skips", str(tmp_path)], env=env, cwd=tmp_path)
    assert strict.returncode != 0, strict.stdout
    assert "1 failed, 1 passed, 1 deselected, 1 error" in strict.stdout, strict.stdout
    assert "skipped (no server here), and --no-skips allows no skip" in strict.stdout
    assert "skipped (could not import 'no_such_driver'" in strict.stdout

    in_ci = run([*pytest, str(tmp_path)], env=dict(env, CI="true"), cwd=tmp_path)  # as .ci/run runs
    assert "1 failed, 1 passed, 1 deselected, 1 error" in in_ci.stdout, in_ci.stdout
