"""``manage.py import_package PATH [PATH ...]``: load edX research data packages into the database."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connection

from edx_schema.errors import EdxSchemaError, PackageError
from edx_schema.importing import (
    DEFAULT_JOBS_LIMIT,
    ImportOptions,
    ImportSummary,
    default_jobs,
    import_packages,
)
from edx_schema.importing.backends import backend
from edx_schema.importing.email_opt_in import ORG_MEMBERS
from edx_schema.importing.events import EVENTS_TABLE
from edx_schema.management.arguments import course_key
from edx_schema.management.base import EdxSchemaCommand
from edx_schema.outcomes import Status
from edx_schema.package.names import LOADED_TABLES, SITE_CHOICES, course_entity, member_table
from edx_schema.package.source.gpg import PASSPHRASE_ENV, Decryption, read_passphrase

#: The statuses of members that were (or would have been) loaded: one line each in the report.
_LOAD_STATUSES = (Status.LOADED, Status.WOULD_LOAD, Status.FAILED, Status.EMPTY)
#: What --tables takes: the loaded tables, and the org-level members' tables or member names.
_TABLE_NAMES = {
    **{member_table(token): member_table(token) for token in LOADED_TABLES},
    "events": EVENTS_TABLE,
    EVENTS_TABLE: EVENTS_TABLE,
    **{token: member_table(token) for token in LOADED_TABLES},
    **{t: t for t in ORG_MEMBERS.values()},
    **ORG_MEMBERS,
}


class _Bar:
    """A tqdm bar per member, counting bytes, with the row count alongside."""

    def __init__(self, label: str, total: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=total or None,
            unit="B",
            unit_scale=True,
            desc=label.rsplit("/", 1)[-1][:60],
            file=sys.stderr,
            leave=False,
        )

    def update(self, *, bytes_read: int, rows: int) -> None:
        self._bar.update(max(0, bytes_read - self._bar.n))
        self._bar.set_postfix(rows=f"{rows:,}", refresh=False)

    def close(self) -> None:
        self._bar.close()


class Command(EdxSchemaCommand):
    help = (
        "Import edX research data packages: a {org}-{date}.zip, its extracted folder, or single "
        "member files, encrypted (.gpg) or not. Every modelled table is upserted: importing the "
        "same package again changes nothing, and next week's package updates what changed. Each "
        "member loads entirely or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Package zips, folders or member files.")
        parser.add_argument("--gnupghome", help="GnuPG home holding your private key (default: gpg's own).")
        parser.add_argument(
            "--passphrase-file",
            help=f"A file whose first line is the key's passphrase (or set {PASSPHRASE_ENV}).",
        )
        parser.add_argument(
            "--site", choices=SITE_CHOICES, default=SITE_CHOICES[0], help="Which site's files (prod)."
        )
        parser.add_argument(
            "--course",
            action="append",
            default=[],
            metavar="KEY",
            help="Only this course (repeatable), e.g. course-v1:MITx+6.002x+2T2024 or MITx/6.002x/2012_Fall; "
            "tracking logs keep the events of its context or its page URL.",
        )
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            help="Tracking logs: only events from this UTC day on (logs of earlier days are not read).",
        )
        parser.add_argument(
            "--until",
            metavar="YYYY-MM-DD",
            help="Tracking logs: only events up to this UTC day (logs of up to two days later are read, "
            "for the mobile events that arrive late).",
        )
        parser.add_argument("--no-events", action="store_true", help="Do not load tracking logs.")
        parser.add_argument(
            "--tables",
            help="Only these tables, comma-separated: table names (teams_courseteam) or the names' "
            f"tokens (teams, email_opt_in); the tables: {', '.join(sorted(set(_TABLE_NAMES.values())))}.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Parse and validate only; report what would change."
        )
        parser.add_argument("--force", action="store_true", help="Load members already recorded as loaded.")
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="Load a file's good rows and write its bad ones to the rejects file.",
        )
        parser.add_argument(
            "--max-errors",
            type=int,
            default=100,
            metavar="N",
            help="With --skip-bad-rows: fail a file that has more than N bad rows (100). A tracking "
            "log's lines that are not events are always skipped and reported: more than N fail it.",
        )
        parser.add_argument(
            "--rejects",
            metavar="FILE",
            help="Where --skip-bad-rows writes rejected rows (default: {package}-rejects.tsv here).",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            metavar="N",
            help=(
                "Load files in N processes at once (MySQL/MariaDB; SQLite loads one at a time). "
                f"Default: this machine's cores, at most {DEFAULT_JOBS_LIMIT}."
            ),
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        import_options = ImportOptions(
            site=options["site"],
            courses=frozenset(self._entity(key) for key in options["course"]),
            tables=self._tables(options["tables"]),
            dry_run=options["dry_run"],
            force=options["force"],
            skip_bad_rows=options["skip_bad_rows"],
            max_errors=self._positive(options["max_errors"], "--max-errors"),
            jobs=self._jobs(options["jobs"]),
            events=not options["no_events"],
            since=self._day(options["since"], "--since"),
            until=self._day(options["until"], "--until"),
            decryption=Decryption(gnupghome=options["gnupghome"], passphrase=self._passphrase(options)),
        )
        if import_options.since and import_options.until and import_options.since > import_options.until:
            raise CommandError(f"--since {import_options.since} is after --until {import_options.until}.")
        rejects = None
        if import_options.skip_bad_rows:
            first = Path(options["paths"][0])
            default = f"{first.name.removesuffix('.zip')}-rejects.tsv"
            rejects = Path(options["rejects"] or default)
        if options["jobs"] not in (None, 1) and verbosity >= 1 and backend().single_writer:
            self.stderr.write("--jobs needs a server database; SQLite loads one file at a time.")
        show_bars = verbosity >= 1 and sys.stderr.isatty()
        try:
            summary = import_packages(
                paths=options["paths"],
                options=import_options,
                rejects_path=rejects,
                progress=_Bar if show_bars else None,
            )
        except EdxSchemaError as error:
            raise CommandError(str(error)) from None
        self._report(summary, verbosity=verbosity, dry_run=import_options.dry_run)
        if not summary.ok:
            failed = sum(1 for r in summary.results if r.status is Status.FAILED)
            raise CommandError(
                f"{failed} file(s) failed and {summary.total('rejected')} row(s) were rejected; "
                "see the messages above."
            )

    # -- arguments -------------------------------------------------------------------------------

    def _jobs(self, value: int | None) -> int:
        if value is not None:
            return self._positive(value, "--jobs")
        # Worker processes see only what is committed: inside a caller's transaction (a test's,
        # say) the files load in this process.
        return 1 if connection.in_atomic_block else default_jobs()

    @staticmethod
    def _day(value: str | None, name: str) -> datetime.date | None:
        if value is None:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"{name} {value!r} is not a day in YYYY-MM-DD form.") from None

    @staticmethod
    def _positive(value: int, name: str) -> int:
        if value < 1:
            raise CommandError(f"{name} must be at least 1, not {value}.")
        return value

    @staticmethod
    def _entity(key: str) -> str:
        course = course_key(key)
        return course_entity(org=course.org, course=course.course, run=course.run)

    @staticmethod
    def _tables(value: str | None) -> frozenset[str]:
        if not value:
            return frozenset()
        tables = frozenset(t.strip() for t in value.split(",") if t.strip())
        unknown = sorted(tables - set(_TABLE_NAMES))
        if unknown:
            choices = ", ".join(sorted(_TABLE_NAMES))
            raise CommandError(f"--tables: unknown table(s) {', '.join(unknown)}; choose from {choices}.")
        # A member's token (teams, email_opt_in) stands for its table (teams_courseteam, ...).
        return frozenset(_TABLE_NAMES[t] for t in tables)

    @staticmethod
    def _passphrase(options) -> str | None:
        try:
            return read_passphrase(options["passphrase_file"])
        except PackageError as error:
            raise CommandError(str(error)) from None

    # -- output ----------------------------------------------------------------------------------

    def _report(self, summary: ImportSummary, *, verbosity: int, dry_run: bool) -> None:
        if verbosity < 1:
            for result in summary.results:
                if result.status is Status.FAILED:
                    self.stderr.write(result.message)
            return
        for warning in summary.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        shown = [r for r in summary.results if verbosity >= 2 or r.status is not Status.FILTERED]
        table_rows = [r for r in shown if r.status in _LOAD_STATUSES]
        already = [r for r in shown if r.status is Status.ALREADY]
        other = [
            r
            for r in shown
            if r.status not in _LOAD_STATUSES and (r.status is not Status.ALREADY or verbosity >= 2)
        ]
        headers = (
            "file",
            "table",
            "course",
            "status",
            "read",
            "inserted",
            "updated",
            "unchanged",
            "rejected",
            "deleted",
            "s",
        )
        lines = [
            (
                r.member,
                r.table,
                r.course,
                r.status,
                f"{r.read:,}",
                f"{r.inserted:,}",
                f"{r.updated:,}",
                f"{r.unchanged:,}",
                f"{r.rejected:,}",
                f"{r.deleted:,}",
                f"{r.seconds:.1f}",
            )
            for r in table_rows
        ]
        if lines:
            widths = [max(len(str(x)) for x in column) for column in zip(headers, *lines, strict=True)]
            numeric = set(range(4, 11))

            def fmt(row) -> str:
                return "  ".join(
                    str(v).rjust(w) if i in numeric else str(v).ljust(w)
                    for i, (v, w) in enumerate(zip(row, widths, strict=True))
                ).rstrip()

            self.stdout.write(self.style.MIGRATE_HEADING(fmt(headers)))
            for result, line in zip(table_rows, lines, strict=True):
                text = fmt(line)
                self.stdout.write(self.style.ERROR(text) if result.status is Status.FAILED else text)
        for result in table_rows:
            if result.message and (result.status is Status.FAILED or verbosity >= 1):
                style = self.style.ERROR if result.status is Status.FAILED else self.style.WARNING
                self.stdout.write(style(f"  {result.member}: {result.message}"))
            if result.detail and verbosity >= 3:  # the traceback of a bug, for its report
                self.stderr.write(result.detail)
        if other and verbosity >= 1:
            self.stdout.write(self.style.MIGRATE_HEADING("Not loaded:"))
            for result in other:
                self.stdout.write(f"  {result.member}: {result.status}: {result.message}")
        if already and verbosity < 2:
            self.stdout.write(
                f"{len(already)} file(s) already imported by an earlier run were left alone "
                "(--force loads them again; -v 2 lists them)."
            )
        if summary.rejects_path is not None and summary.total("rejected"):
            self.stdout.write(self.style.WARNING(f"Rejected rows written to {summary.rejects_path}"))
        verb = "would insert" if dry_run else "inserted"
        totals = (
            f"{summary.total('read'):,} rows read, {summary.total('inserted'):,} {verb}, "
            f"{summary.total('updated'):,} updated, {summary.total('unchanged'):,} unchanged, "
            f"{summary.total('rejected'):,} rejected"
        )
        if summary.total("deleted"):
            gone = "would delete" if dry_run else "deleted"
            totals += f", {summary.total('deleted'):,} {gone} (no longer in their course's file)"
        if summary.ok:
            prefix = "Dry run, nothing written: " if dry_run else "Imported: "
            self.stdout.write(self.style.SUCCESS(prefix + totals + "."))
        else:
            self.stdout.write(self.style.ERROR("Import incomplete: " + totals + "."))
