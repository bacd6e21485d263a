"""The Spark job's command line: data packages straight into a Parquet lake, without a database.

    python -m edx_schema.lake PACKAGE [PACKAGE ...] --out LAKE [--master local[*]]
    spark-submit --master yarn "$(python -c 'import edx_schema.lake.__main__ as m; print(m.__file__)')" \\
        PACKAGE ... --out LAKE

Under ``spark-submit`` the master and resources are spark-submit's; run by Python, ``--master``
says where (``local[*]``, every core of this machine, by default). Needs the ``[spark]`` extra
and Java 17. Imports are absolute: spark-submit runs this file as a script.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Pure modules (no Django): the choices and names import_package uses, spelled once.
from edx_schema.package.names import SITE_CHOICES
from edx_schema.package.source.gpg import PASSPHRASE_ENV

#: Exit statuses: bad arguments or unreadable input (nothing written), and a run whose members
#: were not all loaded (the lake is written; the failures and rejects say what is missing).
USAGE, INCOMPLETE = 2, 1


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.max_errors < 0:
        parser.error(f"--max-errors must be 0 or more, not {args.max_errors}")
    if args.piece_mb < 1:
        parser.error(f"--piece-mb must be 1 or more, not {args.piece_mb}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "edx_schema.lake.job_settings"  # models, no database
    try:
        import django

        django.setup()
        import pyspark  # noqa: F401
    except ImportError as error:
        return _fail(f"{error.name} is not installed: pip install 'edx-schema[spark]' (and Java 17)")
    from edx_schema.errors import EdxSchemaError
    from edx_schema.importing.results import ImportOptions
    from edx_schema.lake.job import run_job, spark_session
    from edx_schema.package.source.gpg import Decryption, read_passphrase

    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        return _fail(f"{missing[0]}: no such file or folder")
    try:
        options = ImportOptions(
            site=args.site,
            events=not args.no_events,
            skip_bad_rows=args.skip_bad_rows,
            max_errors=args.max_errors,
            decryption=Decryption(gnupghome=args.gnupghome, passphrase=read_passphrase(args.passphrase_file)),
        )
        # No --master: spark-submit's, or (run by Python) Spark's own default, local[*].
        spark = spark_session(args.master)
        if args.verbosity < 2:
            spark.sparkContext.setLogLevel("ERROR")
        result = run_job(
            spark=spark,
            paths=args.paths,
            out=Path(args.out),
            options=options,
            piece_bytes=args.piece_mb << 20,
        )
    except EdxSchemaError as error:
        return _fail(str(error))
    except Exception as error:  # Spark's own failures (no Java, an executor lost): one line, no trace
        return _fail(_spark_failure(error))
    out = sys.stdout
    if args.verbosity:
        for name, rows in sorted(result.tables.items()):
            out.write(f"{name}: {rows:,} rows\n")
        for line in result.skipped:
            out.write(f"not converted: {line}\n")
    for line in result.failed:
        sys.stderr.write(f"FAILED {line}\n")
    rejects = f"; {len(result.rejects):,} bad rows in {Path(args.out) / '_rejects'}" if result.rejects else ""
    out.write(f"Wrote {result.rows:,} rows of {len(result.tables)} tables to {args.out}{rejects}.\n")
    return INCOMPLETE if result.failed else 0


def _spark_failure(error: Exception) -> str:
    """One line for a failure of Spark itself (the JVM did not start, an executor died)."""
    text = " ".join(str(error).split())[:300]
    if "JAVA_GATEWAY_EXITED" in text or "JAVA_HOME" in text:
        return f"Spark could not start Java ({text}); install Java 17 (Debian: openjdk-17-jre-headless)"
    return f"Spark failed: {type(error).__name__}: {text}"


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m edx_schema.lake",
        description="Convert edX data packages straight into a Parquet lake with Apache Spark, "
        "without a database: the same tables, partitions and manifest as manage.py export_lake.",
    )
    parser.add_argument("paths", nargs="+", metavar="PACKAGE", help="Package zips, folders or member files.")
    parser.add_argument(
        "--out", required=True, metavar="LAKE", help="The lake's folder (its tables are replaced)."
    )
    parser.add_argument("--master", help="Spark master URL (default: spark-submit's, else local[*]).")
    parser.add_argument(
        "--site", choices=SITE_CHOICES, default=SITE_CHOICES[0], help="Which site's files (prod)."
    )
    parser.add_argument("--no-events", action="store_true", help="Do not convert tracking logs.")
    parser.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="Write a file's good rows, its bad ones to the rejects (default: a bad row fails its file).",
    )
    parser.add_argument(
        "--max-errors", type=int, default=100, metavar="N", help="Bad rows a file may have (default 100)."
    )
    parser.add_argument("--gnupghome", help="GnuPG home holding your private key (default: gpg's own).")
    parser.add_argument(
        "--passphrase-file",
        help=f"A file whose first line is the key's passphrase (or set {PASSPHRASE_ENV}).",
    )
    parser.add_argument(
        "--piece-mb",
        type=int,
        default=256,
        metavar="MB",
        help="Convert a plain table file bigger than this in pieces of about this size, a Spark "
        "task each (default 256; encrypted files are converted whole).",
    )
    parser.add_argument("-v", "--verbosity", type=int, choices=(0, 1, 2), default=1)
    return parser


if __name__ == "__main__":
    sys.exit(main())
