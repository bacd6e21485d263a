"""Opening packages (folder, zip, lone member) and streaming their members, gpg included."""

import datetime
import hashlib
import io
import os
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest

from edx_schema.errors import PackageError
from edx_schema.package.source import Decryption, HashingReader, open_member, open_package
from tests.conftest import PASSPHRASE

USER_TABLE = "MITx-6.002x-2012_Fall-auth_user-prod-analytics.sql"
SCORE_TABLE = "ora/MITx-6.002x-2012_Fall-submissions_score-prod-analytics.sql"
USER_DATA = "id\tusername\n1\tada\n2\tZo\u00eb\n".encode()
SCORE_DATA = b"id\tpoints_earned\n7\t3\n"


def make_folder(root: Path, name: str = "org-2024-01-07") -> Path:
    folder = root / name
    (folder / "ora").mkdir(parents=True)
    (folder / USER_TABLE).write_bytes(USER_DATA)
    (folder / SCORE_TABLE).write_bytes(SCORE_DATA)
    return folder


def read_member(package, path: str, **kwargs) -> bytes:
    member = next(m for m in package.members if m.path == path)
    with open_member(package, member, **kwargs) as stream:
        return stream.read()


# Folders


def test_folder_package(tmp_path):
    package = open_package(make_folder(tmp_path))
    assert package.kind == "folder"
    assert package.name == "org-2024-01-07"
    assert package.date == datetime.date(2024, 1, 7)
    assert [m.path for m in package.members] == [USER_TABLE, SCORE_TABLE]
    assert [m.size for m in package.members] == [len(USER_DATA), len(SCORE_DATA)]
    score = package.members[1].name
    assert (score.kind, score.table, score.path) == ("table", "submissions_score", SCORE_TABLE)


def test_folder_with_another_name_has_no_date(tmp_path):
    package = open_package(make_folder(tmp_path, "my download"))
    assert package.name == "my download"
    assert package.date is None
    assert len(package.members) == 2


def test_folder_members_read_back_exactly(tmp_path):
    package = open_package(make_folder(tmp_path))
    assert read_member(package, USER_TABLE) == USER_DATA
    assert read_member(package, SCORE_TABLE) == SCORE_DATA


# Zips


def make_zip(path: Path, entries: dict[str, bytes | None]) -> Path:
    """Write a zip; a None value is a directory entry."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            if data is None:
                archive.writestr(zipfile.ZipInfo(name), b"")
            else:
                archive.writestr(name, data)
    return path


def test_zip_with_a_top_folder_and_directory_entries(tmp_path):
    path = make_zip(
        tmp_path / "org-2024-01-07.zip",
        {
            "org-2024-01-07/": None,
            "org-2024-01-07/ora/": None,
            f"org-2024-01-07/{SCORE_TABLE}": SCORE_DATA,
            f"org-2024-01-07/{USER_TABLE}": USER_DATA,
        },
    )
    package = open_package(path)
    assert package.kind == "zip"
    assert package.name == "org-2024-01-07"
    assert package.date == datetime.date(2024, 1, 7)
    assert [m.path for m in package.members] == [USER_TABLE, SCORE_TABLE]
    assert [m.size for m in package.members] == [len(USER_DATA), len(SCORE_DATA)]
    assert read_member(package, USER_TABLE) == USER_DATA
    assert read_member(package, SCORE_TABLE) == SCORE_DATA


def test_zip_without_a_top_folder(tmp_path):
    path = make_zip(
        tmp_path / "org-2024-01-07.zip", {USER_TABLE: USER_DATA, "ora/": None, SCORE_TABLE: SCORE_DATA}
    )
    package = open_package(path)
    assert [m.path for m in package.members] == [USER_TABLE, SCORE_TABLE]
    assert read_member(package, SCORE_TABLE) == SCORE_DATA


@pytest.mark.parametrize("hostile", ["../evil.sql", "/abs.sql", "org-2024-01-07/../../evil.sql"])
def test_zip_with_a_member_escaping_the_folder_is_refused(tmp_path, hostile):
    path = make_zip(tmp_path / "org-2024-01-07.zip", {USER_TABLE: USER_DATA, hostile: b"x\n"})
    with pytest.raises(PackageError) as error:
        open_package(path)
    assert repr(hostile) in str(error.value)


def test_a_file_named_zip_that_is_not_a_zip(tmp_path):
    path = tmp_path / "org-2024-01-07.zip"
    path.write_bytes(b"this is not a zip archive\n")
    with pytest.raises(PackageError, match="not a readable zip"):
        open_package(path)


def test_a_missing_path(tmp_path):
    with pytest.raises(PackageError, match="no such file or folder"):
        open_package(tmp_path / "nowhere-2024-01-07")


# One member on its own


def test_a_lone_member_takes_its_folders_package_name(tmp_path):
    folder = make_folder(tmp_path)
    package = open_package(folder / USER_TABLE)
    assert package.kind == "file"
    assert package.name == "org-2024-01-07"
    assert package.date == datetime.date(2024, 1, 7)
    assert [m.path for m in package.members] == [USER_TABLE]
    assert package.members[0].name.table == "auth_user"
    assert package.members[0].size == len(USER_DATA)
    assert read_member(package, USER_TABLE) == USER_DATA


def test_a_lone_member_in_another_folder(tmp_path):
    path = tmp_path / USER_TABLE
    path.write_bytes(USER_DATA)
    package = open_package(path)
    assert (package.kind, package.name, package.date) == ("file", USER_TABLE, None)
    assert read_member(package, USER_TABLE) == USER_DATA


# Hashing


@pytest.mark.parametrize("size", [0, 1, 8191, 1 << 20])
def test_hashing_reader_counts_and_hashes_what_is_read(size):
    data = bytes(i * 7 % 251 for i in range(size))
    reader = HashingReader(io.BytesIO(data))
    buffered = io.BufferedReader(reader, buffer_size=4096)
    chunks = []
    while chunk := buffered.read(1000):
        chunks.append(chunk)
    assert b"".join(chunks) == data
    assert reader.bytes_read == size
    assert reader.sha256.hexdigest() == hashlib.sha256(data).hexdigest()


def test_hashing_reader_read_all():
    data = b"id\n" + b"1\n" * 50_000
    reader = HashingReader(io.BytesIO(data))
    assert reader.read() == data
    assert reader.bytes_read == len(data)
    assert reader.sha256.digest() == hashlib.sha256(data).digest()


# GnuPG


ENCRYPTED = "X-auth_user-prod-analytics.sql.gpg"


def forget_passphrase(home: str) -> None:
    """Stop the agent, so that no passphrase cached by an earlier test decrypts for this one."""
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"], check=True)


def encrypted_package(tmp_path: Path, gpg_key, data: bytes):
    gpg, _home, fingerprint = gpg_key
    folder = tmp_path / "org-2024-01-07"
    folder.mkdir()
    clear = tmp_path / "clear.sql"
    clear.write_bytes(data)
    with open(clear, "rb") as source:
        result = gpg.encrypt_file(
            source, [fingerprint], armor=False, always_trust=True, output=str(folder / ENCRYPTED)
        )
    assert result.ok, result.stderr
    assert (folder / ENCRYPTED).read_bytes() != data
    package = open_package(folder)
    assert [m.path for m in package.members] == [ENCRYPTED]
    assert package.members[0].name.encrypted
    return package


def within_seconds(function, seconds: float = 30):
    """Run ``function`` in a thread; fail (rather than hang the suite) if it does not return."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as error:
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_an_encrypted_member_decrypts_to_the_exact_bytes(tmp_path, gpg_key):
    _gpg, home, _fingerprint = gpg_key
    package = encrypted_package(tmp_path, gpg_key, USER_DATA)
    decryption = Decryption(gnupghome=home, passphrase=PASSPHRASE)
    assert within_seconds(lambda: read_member(package, ENCRYPTED, decryption=decryption)) == USER_DATA


def test_an_encrypted_member_in_a_zip_decrypts(tmp_path, gpg_key):
    _gpg, home, _fingerprint = gpg_key
    folder = encrypted_package(tmp_path, gpg_key, USER_DATA).path
    path = make_zip(
        tmp_path / "org-2024-01-07.zip", {f"org-2024-01-07/{ENCRYPTED}": (folder / ENCRYPTED).read_bytes()}
    )
    package = open_package(path)
    decryption = Decryption(gnupghome=home, passphrase=PASSPHRASE)
    assert within_seconds(lambda: read_member(package, ENCRYPTED, decryption=decryption)) == USER_DATA


def test_a_wrong_passphrase_fails_with_a_package_error_and_does_not_hang(tmp_path, gpg_key):
    _gpg, home, _fingerprint = gpg_key
    package = encrypted_package(tmp_path, gpg_key, USER_DATA)
    forget_passphrase(home)
    decryption = Decryption(gnupghome=home, passphrase="wrong")
    with pytest.raises(PackageError, match="gpg could not decrypt it") as error:
        within_seconds(lambda: read_member(package, ENCRYPTED, decryption=decryption))
    assert f"org-2024-01-07/{ENCRYPTED}" in str(error.value)
    assert "wrong or missing passphrase" in str(error.value)
    assert USER_DATA.decode() not in str(error.value)


def test_a_passphrase_with_a_line_break_is_refused_without_hanging(tmp_path, gpg_key):
    package = encrypted_package(tmp_path, gpg_key, USER_DATA)
    decryption = Decryption(gnupghome=gpg_key[1], passphrase=PASSPHRASE + "\n")
    with pytest.raises(PackageError, match="line break"):
        within_seconds(lambda: read_member(package, ENCRYPTED, decryption=decryption))


def test_no_secret_key_is_reported(tmp_path, gpg_key):
    package = encrypted_package(tmp_path, gpg_key, USER_DATA)
    empty = tmp_path / "empty-home"
    empty.mkdir(mode=0o700)
    decryption = Decryption(gnupghome=str(empty), passphrase=PASSPHRASE)
    try:
        with pytest.raises(PackageError, match="secret key"):
            within_seconds(lambda: read_member(package, ENCRYPTED, decryption=decryption))
    finally:
        subprocess.run(["gpgconf", "--homedir", str(empty), "--kill", "gpg-agent"], check=False)


def test_reading_only_the_first_line_of_a_large_encrypted_member(tmp_path, gpg_key):
    _gpg, home, _fingerprint = gpg_key
    # Several megabytes: far more than a pipe holds, so gpg is still writing when the reader stops.
    data = b"id\tusername\n" + b"".join(b"%d\tlearner_%d\n" % (i, i) for i in range(300_000))
    package = encrypted_package(tmp_path, gpg_key, data)
    member = package.members[0]
    decryption = Decryption(gnupghome=home, passphrase=PASSPHRASE)

    def first_line():
        with open_member(package, member, decryption=decryption, complete=False) as stream:
            return stream.readline()

    assert within_seconds(first_line) == b"id\tusername\n"


def test_the_decrypted_member_never_lands_on_disk(tmp_path, gpg_key):
    _gpg, home, _fingerprint = gpg_key
    package = encrypted_package(tmp_path, gpg_key, USER_DATA)
    member = package.members[0]
    decryption = Decryption(gnupghome=home, passphrase=PASSPHRASE)
    with open_member(package, member, decryption=decryption) as stream:
        # The stream is a named pipe, not a regular file holding the plaintext.
        assert not os.path.isfile(stream.name)
        assert stream.read() == USER_DATA
    assert not os.path.exists(stream.name)
