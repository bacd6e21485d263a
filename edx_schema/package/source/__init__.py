"""Open a data package (a zip, an extracted folder or one member file) and stream its members.

Nothing is extracted to disk: zip members are read as streams (zip64 included), and ``.gpg``
members are decrypted by gpg, through python-gnupg, into a named pipe in a private temporary
folder, so that a member of tens of gigabytes never sits in memory or on disk in clear.

Only regular files are members: a symbolic link (in a folder or a zip), a named pipe or a device
is listed as refused and never opened, so that no file outside the package is read or echoed.
A damaged zip member fails on its own, with a PackageError, however far into it the damage is.

Modules: :mod:`.members` lists and opens members, :mod:`.files` opens regular files only,
:mod:`.zipped` reads zip members, :mod:`.gpg` decrypts, :mod:`.hashing` counts and hashes what
is read.

Pure: no Django import.
"""

from .gpg import PIPE_FOLDER_PREFIX, Decryption, remove_stale_pipe_folders
from .hashing import HashingReader
from .members import Member, Package, member_label, open_member, open_package

__all__ = [
    "PIPE_FOLDER_PREFIX",
    "Decryption",
    "HashingReader",
    "Member",
    "Package",
    "member_label",
    "open_member",
    "open_package",
    "remove_stale_pipe_folders",
]
