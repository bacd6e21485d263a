"""Opening packages (folder, zip, lone member) and streaming their members, gpg included."""

import datetime
import hashlib
import io
import os
import pickle
import stat
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest

from edx_schema.errors import PackageError
from edx_schema.package.source import (
    Decryption,
    HashingReader,
    open_member,
    open_package,
    remove_stale_pipe_folders,
)
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


def test_a_hostile_member_name_is_quoted_short_and_escaped(tmp_path):
    hostile = "../" + "\x1b[31m" * 3000 + "evil.sql"
    path = make_zip(tmp_path / "org-2024-01-07.zip", {USER_TABLE: USER_DATA, hostile: b"x\n"})
    with pytest.raises(PackageError) as error:
        open_package(path)
    message = str(error.value)
    assert "\x1b" not in message  # escaped, as \\x1b
    assert len(message) < len(str(path)) + 200


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


# Folder entries that are not regular files: refused, never opened

SECRET = b"SECRET_TOKEN=hunter2-do-not-echo\n"


def outside_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "environ"
    secret.parent.mkdir()
    secret.write_bytes(SECRET)
    return secret


def refused_error(package, path: str) -> str:
    with pytest.raises(PackageError) as error:
        within_seconds(lambda: read_member(package, path))
    return str(error.value)


def drain(stream) -> None:
    while stream.read(4096):
        pass


def test_a_symlink_named_like_a_member_is_refused_and_never_read(tmp_path):
    folder = make_folder(tmp_path)
    linked = "MITx-6.002x-2012_Fall-auth_userprofile-prod-analytics.sql"
    (folder / linked).symlink_to(outside_secret(tmp_path))
    package = open_package(folder)
    member = next(m for m in package.members if m.path == linked)
    assert member.name.table == "auth_userprofile"
    assert member.refused == "is a symbolic link; refused"
    message = refused_error(package, linked)
    assert message == f"org-2024-01-07/{linked}: is a symbolic link; refused"
    assert "hunter2" not in message
    assert "SECRET" not in message
    assert read_member(package, USER_TABLE) == USER_DATA  # the other members still read


def test_a_symlink_to_the_process_environment_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("EDX_SCHEMA_TEST_SECRET", "s3cr3t-value")
    folder = make_folder(tmp_path)
    (folder / USER_TABLE).unlink()
    (folder / USER_TABLE).symlink_to("/proc/self/environ")
    package = open_package(folder)
    assert "s3cr3t-value" not in refused_error(package, USER_TABLE)


def test_a_symlinked_folder_is_not_descended(tmp_path):
    folder = make_folder(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / USER_TABLE).write_bytes(SECRET)
    (folder / "extra").symlink_to(elsewhere, target_is_directory=True)
    package = open_package(folder)
    assert [m.path for m in package.members] == [USER_TABLE, "extra", SCORE_TABLE]
    assert package.members[1].refused == "is a symbolic link; refused"
    assert "hunter2" not in refused_error(package, "extra")


def test_a_named_pipe_named_like_a_member_is_refused_without_blocking(tmp_path):
    folder = make_folder(tmp_path)
    os.mkfifo(folder / "ora" / "MITx-6.002x-2012_Fall-submissions_submission-prod-analytics.sql")
    package = open_package(folder)
    path = "ora/MITx-6.002x-2012_Fall-submissions_submission-prod-analytics.sql"
    assert refused_error(package, path) == (
        f"org-2024-01-07/{path}: is not a regular file (a named pipe); refused"
    )


def test_a_member_swapped_for_a_symlink_after_the_listing_is_refused(tmp_path):
    folder = make_folder(tmp_path)
    package = open_package(folder)
    (folder / USER_TABLE).unlink()
    (folder / USER_TABLE).symlink_to(outside_secret(tmp_path))
    message = refused_error(package, USER_TABLE)
    assert message == f"org-2024-01-07/{USER_TABLE}: is a symbolic link; refused"


def test_a_member_swapped_for_a_named_pipe_after_the_listing_is_refused_without_blocking(tmp_path):
    folder = make_folder(tmp_path)
    package = open_package(folder)
    (folder / USER_TABLE).unlink()
    os.mkfifo(folder / USER_TABLE)
    assert "is not a regular file (a named pipe); refused" in refused_error(package, USER_TABLE)


def test_a_member_folder_swapped_for_a_symlink_after_the_listing_is_refused(tmp_path):
    folder = make_folder(tmp_path)
    package = open_package(folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / Path(SCORE_TABLE).name).write_bytes(SECRET)
    (folder / SCORE_TABLE).unlink()
    (folder / "ora").rmdir()
    (folder / "ora").symlink_to(elsewhere, target_is_directory=True)
    message = refused_error(package, SCORE_TABLE)
    assert message == f"org-2024-01-07/{SCORE_TABLE}: its folder 'ora' is a symbolic link; refused"


def test_the_package_path_itself_may_be_a_symlink(tmp_path):
    folder = make_folder(tmp_path)
    (tmp_path / "link-2024-01-07").symlink_to(folder, target_is_directory=True)
    package = open_package(tmp_path / "link-2024-01-07")
    assert package.kind == "folder"
    assert read_member(package, SCORE_TABLE) == SCORE_DATA
    zipped = make_zip(tmp_path / "real.zip", {USER_TABLE: USER_DATA})
    (tmp_path / "org-2024-01-07.zip").symlink_to(zipped)
    assert read_member(open_package(tmp_path / "org-2024-01-07.zip"), USER_TABLE) == USER_DATA
    (tmp_path / "lone.sql").symlink_to(folder / USER_TABLE)
    assert read_member(open_package(tmp_path / "lone.sql"), "lone.sql") == USER_DATA


def test_a_named_pipe_given_as_the_package_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / USER_TABLE)
    with pytest.raises(PackageError, match=r"is not a regular file \(a named pipe\); refused"):
        within_seconds(lambda: open_package(tmp_path / USER_TABLE))


# Zip entries that are symbolic links


def test_a_symlink_entry_in_a_zip_is_refused(tmp_path):
    path = tmp_path / "org-2024-01-07.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(USER_TABLE, USER_DATA)
        link = zipfile.ZipInfo(SCORE_TABLE)
        link.create_system = 3  # Unix: the high bits of external_attr are the file's mode
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/proc/self/environ")
    package = open_package(path)
    assert [m.refused for m in package.members] == [None, "is a symbolic link; refused"]
    assert refused_error(package, SCORE_TABLE) == f"org-2024-01-07/{SCORE_TABLE}: is a symbolic link; refused"
    assert read_member(package, USER_TABLE) == USER_DATA


# Damaged zip members fail on their own


def damage(path: Path, member: str, *, at: float) -> None:
    """Flip one byte of ``member``'s stored (compressed) data, a fraction ``at`` into it."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    # The local header: 30 bytes, then the name and an extra field whose length it gives itself.
    start = (
        info.header_offset
        + 30
        + len(info.filename.encode())
        + int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    )
    data[start + int(info.compress_size * at)] ^= 0xFF
    path.write_bytes(bytes(data))


LARGE = b"id\tusername\n" + b"".join(b"%d\tlearner_%d\n" % (i, i) for i in range(20_000))


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_member_with_a_bad_crc_fails_alone(tmp_path, compression):
    path = tmp_path / "org-2024-01-07.zip"
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr(USER_TABLE, LARGE)
        archive.writestr(SCORE_TABLE, SCORE_DATA)
    # Near the end: deflate still decodes (into wrong bytes), only the CRC check finds it.
    damage(path, USER_TABLE, at=0.999)
    package = open_package(path)
    with pytest.raises(PackageError) as error:
        read_member(package, USER_TABLE)
    assert str(error.value) == f"org-2024-01-07/{USER_TABLE}: damaged in the zip: bad CRC-32"
    assert read_member(package, SCORE_TABLE) == SCORE_DATA


def test_a_member_with_corrupt_compressed_data_fails_alone_while_it_is_read(tmp_path):
    path = make_zip(tmp_path / "org-2024-01-07.zip", {USER_TABLE: LARGE, SCORE_TABLE: SCORE_DATA})
    damage(path, USER_TABLE, at=0.01)
    package = open_package(path)
    member = package.members[0]
    # Fails while read (past the first rows), not when opened: the loader must see it as this member's.
    damaged = f"^org-2024-01-07/{USER_TABLE}: damaged in the zip: "
    with open_member(package, member) as stream, pytest.raises(PackageError, match=damaged):
        drain(stream)
    assert read_member(package, SCORE_TABLE) == SCORE_DATA


def test_a_member_with_a_damaged_header_fails_alone(tmp_path):
    path = make_zip(tmp_path / "org-2024-01-07.zip", {USER_TABLE: USER_DATA, SCORE_TABLE: SCORE_DATA})
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(USER_TABLE).header_offset
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF  # the local header's signature
    path.write_bytes(bytes(data))
    package = open_package(path)
    with pytest.raises(PackageError, match="damaged in the zip: bad magic number"):
        read_member(package, USER_TABLE)
    assert read_member(package, SCORE_TABLE) == SCORE_DATA


def test_a_truncated_zip_is_refused_as_a_whole(tmp_path):
    path = make_zip(tmp_path / "org-2024-01-07.zip", {USER_TABLE: LARGE, SCORE_TABLE: SCORE_DATA})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(PackageError, match="not a readable zip file"):
        open_package(path)


def test_a_damaged_encrypted_member_reports_the_damage_not_gpg(tmp_path, gpg_key):
    _gpg, home, _fingerprint = gpg_key
    folder = encrypted_package(tmp_path, gpg_key, LARGE).path
    path = tmp_path / "org-2024-01-07.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(ENCRYPTED, (folder / ENCRYPTED).read_bytes())
    damage(path, ENCRYPTED, at=0.5)
    package = open_package(path)
    decryption = Decryption(gnupghome=home, passphrase=PASSPHRASE)
    with pytest.raises(PackageError) as error:
        within_seconds(lambda: read_member(package, ENCRYPTED, decryption=decryption))
    assert str(error.value) == f"org-2024-01-07/{ENCRYPTED}: damaged in the zip: bad CRC-32"


# Many members


def test_a_zip_directory_is_read_once_however_many_members_are_opened(tmp_path, monkeypatch):
    entries = {f"X-c{i}-r-auth_user-prod-analytics.sql": b"id\n%d\n" % i for i in range(200)}
    package = open_package(make_zip(tmp_path / "org-2024-01-07.zip", entries))
    opened = []
    real = zipfile.ZipFile

    class Counting(real):
        def __init__(self, *args, **kwargs):
            opened.append(args[0])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(zipfile, "ZipFile", Counting)
    assert [read_member(package, m.path) for m in package.members] == [
        entries[m.path] for m in package.members
    ]
    assert len(opened) == 1


def test_a_pickled_zip_package_opens_its_own_archive(tmp_path):
    package = open_package(make_zip(tmp_path / "org-2024-01-07.zip", {USER_TABLE: USER_DATA}))
    assert read_member(package, USER_TABLE) == USER_DATA
    copy = pickle.loads(pickle.dumps(package))
    assert copy.archive() is not package.archive()
    assert read_member(copy, USER_TABLE) == USER_DATA
    package.close()
    assert read_member(package, USER_TABLE) == USER_DATA  # reopens


# Warnings: packages that open but hold nothing to load


def test_an_ordinary_package_has_no_warnings(tmp_path):
    assert open_package(make_folder(tmp_path)).warnings == []


def test_an_empty_folder_is_warned_about(tmp_path):
    folder = tmp_path / "org-2024-01-07"
    (folder / "ora").mkdir(parents=True)
    package = open_package(folder)
    assert package.members == []
    assert package.warnings == [f"{folder}: the package holds no files (an empty folder)"]


def test_an_empty_zip_is_warned_about(tmp_path):
    path = make_zip(tmp_path / "org-2024-01-07.zip", {"org-2024-01-07/": None})
    assert open_package(path).warnings == [f"{path}: the package holds no files (an empty zip)"]


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_a_zip_inside_the_package_is_warned_about(tmp_path, kind):
    inner = make_zip(tmp_path / "inner.zip", {USER_TABLE: USER_DATA}).read_bytes()
    if kind == "folder":
        folder = make_folder(tmp_path)
        (folder / "org-2024-01-07.zip").write_bytes(inner)
        package = open_package(folder)
    else:
        package = open_package(
            make_zip(tmp_path / "org-2024-01-07.zip", {USER_TABLE: USER_DATA, "org-2024-01-07.zip": inner})
        )
    assert package.warnings == [
        "org-2024-01-07/org-2024-01-07.zip: a zip inside the package; its members are not read "
        "(unzip it and import it as a package of its own)"
    ]


def test_only_pipe_folders_of_processes_that_are_gone_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = tmp_path / f"edx-schema-gpg-{gone.pid}-abc"
    stale.mkdir()
    os.mkfifo(stale / "plaintext")
    mine = tmp_path / f"edx-schema-gpg-{os.getpid()}-def"  # a live import's: in use
    mine.mkdir()
    other = tmp_path / "edx-schema-gpgx-1-ghi"  # not a pipe folder of ours
    other.mkdir()
    assert remove_stale_pipe_folders() == [str(stale)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])
