"""Shared pytest configuration: the database backend comes from DATABASE_URL (default SQLite)."""

import os
import subprocess
import sys
from pathlib import Path

import gnupg
import pytest

PASSPHRASE = "s3cret passphrase"


def pytest_addoption(parser):
    parser.addoption(
        "--no-skips",
        action="store_true",
        # CI runs the README's test command as it is: CI=true alone allows no skip there.
        default=os.environ.get("CI") == "true",
        help="fail every skipped test and skipped test module (the default when CI=true)",
    )


def pytest_collection_modifyitems(config, items):
    """Leave the MariaDB-only tests out on SQLite, and run the browser tests last.

    Tests marked ``mariadb`` need the suite's own MySQL/MariaDB server: on SQLite they are
    deselected, not skipped, because they have nothing to run against there; the MariaDB pass
    (``DATABASE_URL=mysql://...``) runs them. The browser tests leave threads behind (the live
    server's, Playwright's); a test that forks a process after them (import_package --jobs, the
    SQLite grading helper) could inherit a lock one of those threads held, and hang.
    """
    from django.db import connection

    if connection.vendor != "mysql":
        server_only = [item for item in items if item.get_closest_marker("mariadb")]
        if server_only:
            config.hook.pytest_deselected(items=server_only)
            items[:] = [item for item in items if item.get_closest_marker("mariadb") is None]
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def _fail_skip(report) -> None:
    """Turn a skipped report into a failure that says why it was skipped."""
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"skipped ({reason}), and --no-skips allows no skip"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """With ``--no-skips``, a skipped test (a skip mark, or pytest.skip in a fixture or test) fails."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and item.config.getoption("no_skips"):
        _fail_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """With ``--no-skips``, a skipped module (a module-level skip or importorskip) is an error."""
    report = yield
    if report.skipped and collector.config.getoption("no_skips"):
        _fail_skip(report)
    return report


@pytest.fixture(scope="session")
def gpg_key(tmp_path_factory):
    """A throwaway GnuPG home with one passphrase-protected key: ``(gpg, home, fingerprint)``."""
    home = tmp_path_factory.mktemp("gnupg") / "home"
    home.mkdir(mode=0o700)
    gpg = gnupg.GPG(gnupghome=str(home))
    key = gpg.gen_key(
        gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            subkey_type="ECDH",
            subkey_curve="cv25519",
            name_email="czar@example.org",
            passphrase=PASSPHRASE,
            expire_date=0,
        )
    )
    assert key.fingerprint, key.stderr
    yield gpg, str(home), key.fingerprint
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)


def server_connection(database: str | None = None, **options):
    """A connection of its own to the suite's MySQL/MariaDB server, through MySQLdb.

    Its own, so that it sees what other processes committed and can create or drop databases
    (which would commit the test's transaction). MySQLdb is imported here, not at the top: a
    SQLite run needs no MySQL driver.
    """
    import MySQLdb
    from django.conf import settings

    db = settings.DATABASES["default"]
    if database:
        options["database"] = database
    return MySQLdb.connect(
        host=db["HOST"],
        port=int(db["PORT"] or 3306),
        user=db["USER"],
        password=db["PASSWORD"] or "",
        **options,
    )


class ChildDatabase:
    """The test database, reachable from child processes that run ``manage.py`` commands.

    On SQLite the test database is in memory, so the children get a migrated file database of
    their own; on MySQL/MariaDB they use the test database itself (the test must then run outside
    a transaction: ``transactional_db``). ``query`` reads it through a connection of the test's own.
    """

    def __init__(self, tmp_path: Path) -> None:
        from django.conf import settings
        from django.db import connection

        self.root = Path(__file__).resolve().parents[1]
        self.env = dict(os.environ, DJANGO_SETTINGS_MODULE="settings.test")
        if connection.vendor == "sqlite":
            self.path = tmp_path / "child.sqlite3"
            self.env["DATABASE_URL"] = f"sqlite:///{self.path}"
            self.manage("migrate", "-v0")
        else:
            db = settings.DATABASES["default"]
            self.env["DATABASE_URL"] = f"mysql://{db['USER']}@{db['HOST']}:{db['PORT'] or 3306}/{db['NAME']}"
        self.vendor = connection.vendor

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "manage.py", *args]

    def manage(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run ``manage.py *args`` to the end; fail the test if it fails."""
        done = subprocess.run(
            self.command(*args), cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), cwd=self.root, env=self.env)

    def connect(self):
        if self.vendor == "sqlite":
            import sqlite3

            return sqlite3.connect(self.path)
        from django.conf import settings

        return server_connection(settings.DATABASES["default"]["NAME"])

    def query(self, sql: str) -> list[tuple]:
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            connection.close()


@pytest.fixture
def child_database(transactional_db, tmp_path) -> ChildDatabase:
    return ChildDatabase(tmp_path)
