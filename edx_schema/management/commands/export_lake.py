"""``manage.py export_lake OUT``: every table as Parquet, Hive-partitioned, with a manifest."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import CommandError

from edx_schema.management.base import EdxSchemaCommand


class Command(EdxSchemaCommand):
    help = (
        "Write every table of the database as Parquet under OUT: course tables partitioned by "
        "course, tracking events by org and day, with a manifest (_manifest.json). A second export "
        "into the same folder rewrites only the partitions imports changed since the first."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", metavar="OUT", help="The lake's folder (created if needed).")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Rewrite every table, not only what imports changed (say after recompute_grades).",
        )
        parser.add_argument(
            "--table", action="append", metavar="NAME", help="Only this table (repeatable); implies --full."
        )

    def handle(self, *args, **options):
        try:  # the [lake] extra: the rest of the app works without it
            from edx_schema.lake.export import MANIFEST, export_lake
        except ImportError as error:
            raise CommandError(
                f"export_lake needs pyarrow ({error}): pip install 'edx-schema[lake]'"
            ) from None
        verbosity = options["verbosity"]
        tables = options["table"]
        with self._progress(verbosity) as progress:
            result = export_lake(
                out=Path(options["out"]),
                full=options["full"] or bool(tables),
                tables=tables,
                progress=progress,
            )
        if verbosity >= 2:
            for table, counts in sorted(result.tables.items()):
                self.stdout.write(
                    f"  {table}: {counts['rows']:,} rows in {counts['partitions']:,} partitions"
                    + (f", {counts['removed']:,} emptied" if counts["removed"] else "")
                )
        if verbosity >= 1:
            kind = "Updated" if result.incremental else "Exported"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{kind} {result.rows:,} rows in {result.partitions:,} files"
                    f" of {len(result.tables)} tables"
                    f" under {result.out} (manifest: {result.out / MANIFEST})."
                )
            )

    @staticmethod
    @contextmanager
    def _progress(verbosity: int) -> Iterator[Callable[[str], None]]:
        """The table being written, on stderr, only on a terminal."""
        if verbosity < 1 or not sys.stderr.isatty():
            yield lambda _table: None
            return
        from tqdm import tqdm

        with tqdm(desc="export_lake", unit=" tables", file=sys.stderr, leave=False) as bar:

            def step(table: str) -> None:
                bar.set_postfix_str(table)
                bar.update(1)

            yield step
