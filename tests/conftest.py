"""Shared pytest configuration: the database backend comes from DATABASE_URL (default SQLite)."""

import subprocess

import gnupg
import pytest

PASSPHRASE = "s3cret passphrase"


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last.

    They leave threads behind (the live server's, Playwright's); a test that forks a process
    after them (import_package --jobs, the SQLite grading helper) could inherit a lock one of
    those threads held, and hang.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


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
