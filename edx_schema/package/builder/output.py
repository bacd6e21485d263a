"""Writing members: a ``.sql`` table in the exporter's text format, the zip, the encryption."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...errors import PackageError
from ..tsv import format_record


@dataclass(frozen=True)
class Table:
    """One ``.sql`` member: the exporter's table name, its header and its rows.

    ``encoded`` rows already hold the exporter's text in every field (see courseware), so that
    a member of millions of rows does not escape the same values again for every row.
    """

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    folder: str = ""  # "ora" for the ORA tables
    encoded: bool = False


def write_table(folder: Path, *, entity: str, table: Table) -> int:
    """Write ``{entity}-{table}-prod-analytics.sql`` (header row, then a line a row); count the rows."""
    path = folder / table.folder / f"{entity}-{table.name}-prod-analytics.sql"
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        out.write("\t".join(table.header) + "\n")
        for row in table.rows:
            out.write("\t".join(map(str, row)) + "\n" if table.encoded else format_record(row))
            count += 1
    return count


def zip_folder(folder: Path, target: Path) -> None:
    """Zip ``folder`` as the exporter's ``zip --recurse-paths`` does: one top folder, with directories."""
    fixed = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp, so that the zip's bytes are reproducible
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in [folder, *sorted(folder.rglob("*"))]:
            arcname = path.relative_to(folder.parent).as_posix()
            if path.is_dir():
                info = zipfile.ZipInfo(arcname + "/", fixed)
                info.external_attr = 0o40755 << 16
                archive.writestr(info, b"")
            else:
                info = zipfile.ZipInfo(arcname, fixed)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as source, archive.open(info, "w", force_zip64=True) as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)


def encrypt_all(folder: Path, *, recipients: Sequence[str], gnupghome: str | None) -> None:
    """Replace every file under ``folder`` by its binary OpenPGP encryption (``.gpg`` appended)."""
    import gnupg

    gpg = gnupg.GPG(gnupghome=gnupghome)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with open(path, "rb") as clear:
            result = gpg.encrypt_file(
                clear, list(recipients), armor=False, always_trust=True, output=f"{path}.gpg"
            )
        if not result.ok:
            raise PackageError(
                f"gpg could not encrypt {path.name} to {', '.join(recipients)}: {result.status}"
            )
        path.unlink()
