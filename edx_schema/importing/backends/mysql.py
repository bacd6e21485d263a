"""MySQL and MariaDB: ``LOAD DATA LOCAL INFILE`` fed from an anonymous pipe.

A thread fills the pipe with validated, normalised rows (``mysql_pipe.py``). They go straight
into the table when it holds nothing of this course yet, else into a temporary table that is
merged with an ``INSERT IGNORE`` of the new keys and an ``INSERT ... ON DUPLICATE KEY UPDATE``;
servers that refuse ``LOCAL INFILE`` get multi-row inserts into that temporary table instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.db import DatabaseError, IntegrityError, connection

from ..rows import FileFailed, LoadAgain, Row, TableLoad, batches
from ..verbatim import Verbatim, file_order, verbatim_pattern
from . import Backend
from .mysql_conflicts import apply_conflicting
from .mysql_pipe import RowPipe, load_data_lines


class MysqlBackend(Backend):
    vendor = "mysql"

    def load(self, job: TableLoad) -> None:
        _Writer(self, job).run(direct=job.first_attempt)

    def on_conflict(
        self, table: str, *, key: tuple[str, ...], update: list[str] | tuple[str, ...], only_changed: bool
    ) -> str:
        # MySQL leaves a row whose values are unchanged untouched anyway (and counts it so).
        q = self.quote
        return "ON DUPLICATE KEY UPDATE " + ", ".join(f"{q(c)} = VALUES({q(c)})" for c in update or key[:1])

    def insert_new_sql(self, table: str, columns: list[str], *, source: str) -> str:
        # IGNORE: a duplicate key (here, or inserted by another transaction meanwhile, which
        # InnoDB waits for) skips the row; the values were checked before, so nothing else is.
        names = ", ".join(map(self.quote, columns))
        return f"INSERT IGNORE INTO {self.quote(table)} ({names}) {source}"

    def changed_rows(self, rowcount: int, rows: int) -> int:
        # CLIENT_FOUND_ROWS: 2 per changed row, 1 per row found unchanged.
        return rowcount - rows

    def lock_sql(self, select: str) -> str | None:
        return f"{select} FOR UPDATE"

    def fill_stage(self, cursor, stage, rows) -> None:
        # LOAD DATA from a pipe, as a member's own rows; REPLACE: a later line of a key wins.
        if not _local_infile(cursor):
            stage.insert_batches(cursor, rows)
            return
        names = ", ".join(map(quote, [*stage.columns, "edx_schema_line"]))
        with RowPipe(load_data_lines(rows, line_column=True), label=stage.table) as pipe:
            cursor.execute(
                f"LOAD DATA LOCAL INFILE %s REPLACE INTO TABLE {stage.name} CHARACTER SET utf8mb4 "
                r"FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' "
                f"({names})",
                [pipe.path],
            )

    def column_collation(self, table: str, column: str) -> str | None:
        # As the table has it: made under the database's default of that day, or the field's.
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = %s AND column_name = %s",
                [table, column],
            )
            found = cursor.fetchone()
        return found[0] if found else None

    def drop_temporary_sql(self, name: str) -> str:
        # TEMPORARY: a plain DROP TABLE commits the transaction, even for a temporary table.
        return f"DROP TEMPORARY TABLE IF EXISTS {name}"

    def course_range(self, field: str, course_id: str) -> dict[str, str]:
        # As `course_id = X`, MariaDB reads (course_id, user_id, ...) indexes by course_id alone
        # and skips the rows before a keyset page one by one: every page walked the course from
        # its first row (72 s instead of 8 for 100,000 learners). As a range it seeks to the page.
        return {f"{field}__gte": course_id, f"{field}__lte": course_id}


BACKEND = MysqlBackend


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _local_infile(cursor) -> bool:
    """Whether both this client and the server allow LOAD DATA LOCAL INFILE."""
    settings_dict = connection.settings_dict
    if not settings_dict.get("OPTIONS", {}).get("local_infile"):
        return False
    cursor.execute("SELECT @@GLOBAL.local_infile")
    (enabled,) = cursor.fetchone()
    return bool(int(enabled))


class _Collision(Exception):
    """A staged row collided with another row on a unique index other than the key."""


_DUPLICATE_KEY = 1062  # ER_DUP_ENTRY
_NO_PARENT = 1452  # ER_NO_REFERENCED_ROW_2


class _Writer:
    """Writes one member's rows: straight into the table, or through a staging table merged in."""

    def __init__(self, backend: MysqlBackend, job: TableLoad) -> None:
        self.backend, self.plan, self.counts, self.options, self.rows = (
            backend,
            job.plan,
            job.counts,
            job.options,
            job.rows,
        )
        self.stream = job.stream
        self.table = quote(job.plan.spec.table)
        self.on_written = job.on_written
        self.update = [c for c in job.plan.file_columns if c not in job.plan.spec.key]

    def run(self, *, direct: bool) -> None:
        with self.backend.connection.cursor() as cursor:
            if _local_infile(cursor):
                self._load(cursor, direct=direct)
            else:
                self._insert(cursor)

    def _insert(self, cursor) -> None:
        """The slower path for servers that refuse LOAD DATA LOCAL: multi-row inserts."""
        with member_savepoint(cursor):
            staging = self._create_staging(cursor)
            marks = ", ".join(["%s"] * (len(self.plan.all_columns) + 1))
            columns = ", ".join(map(quote, [*self.plan.all_columns, "edx_schema_line"]))
            for batch in batches(iter(self.rows)):
                cursor.executemany(
                    f"INSERT INTO {staging} ({columns}) VALUES ({marks})",
                    [[*row, line] for line, row in batch],
                )
            self._merge(cursor, staging)

    def _load(self, cursor, *, direct: bool) -> None:
        pattern = verbatim_pattern(self.plan) if direct else None
        if pattern is not None:
            # Read in runs, the first at once: its first row names the course.
            verbatim: Verbatim | None = Verbatim(self.rows, self.stream, pattern)
            if verbatim.empty:
                return
            first = verbatim.first_row()
            course = self.rows.course_index
            if course is not None:
                if first is None:
                    direct = False  # no row of the first run converts: merge, which says why
                else:
                    self.counts.course_id = first[course]
            rows: Iterator[Row] = iter(())  # the runs are read as text, or converted below
        else:
            verbatim = None
            rows = iter(self.rows)
            # The first row is read here: a header-only member needs no load, and the direct
            # load needs the course. The rest is read by the pipe's thread while the server loads.
            head = next(rows, None)
            if head is None:
                return
            rows = _chain(head, rows)
        # Straight into the table where no row of the file's can be there yet: none of its course,
        # or (a table without courses) none at all. LOAD DATA LOCAL skips, with a warning, a row
        # that a key, a unique value or a missing parent refuses: then the member is loaded again
        # the careful way, which says why (LoadAgain).
        self.written = f"(SELECT * FROM {self.table})", []
        if "course_id" in self.plan.columns:
            self.written = f"(SELECT * FROM {self.table} WHERE course_id = %s)", [self.counts.course_id]
        if direct:
            relation, params = self.written
            cursor.execute(f"SELECT 1 FROM {relation} s LIMIT 1", params)
            direct = cursor.fetchone() is None
        with member_savepoint(cursor):
            if direct:
                # What the rows refer to (a subsection grade's block list), made for the course of
                # the first row: a row of another course fails the load, which is then merged.
                self.plan.prepare_courses({self.counts.course_id})
                if verbatim is not None:
                    self._direct(cursor, verbatim.text(), *self._file_order_columns())
                else:
                    quoted = ", ".join(map(quote, self.plan.all_columns))
                    self._direct(cursor, load_data_lines(rows, line_column=False), quoted, "", [])
            elif verbatim is not None and not self.plan.derived:
                self._staged_verbatim(cursor, verbatim)
            else:
                # A derived value depends on each row's course, which may be any here: convert.
                self._staged(cursor, verbatim.rows_converted() if verbatim is not None else rows)

    def _file_order_columns(self, *, line_column: bool = False) -> tuple[str, str, list[Any]]:
        """LOAD DATA's columns for text in the file's order, its SET clause and its parameters.

        A column the table does not take goes into a variable. The columns the file lacks are
        set: a model default as it is, the block-list hash from the member's course (a row of
        another course gets NULL, which the NOT NULL column refuses: the load is then merged).
        ``line_column``: each line ends with its line number (:meth:`Verbatim.text`).
        """
        plan = self.plan
        targets = ", ".join(
            "@edx_schema_unused" if i is None else quote(plan.columns[i]) for i in file_order(plan)
        )
        sets, params = [], []
        if line_column:
            targets += ", edx_schema_line"
        course = self.counts.course_id
        for column, index, function in plan.derived:
            source = quote(plan.columns[index])
            sets.append(f"{quote(column)} = IF(BINARY {source} = %s, %s, NULL)")
            params += [course, function(course)]
        for column, value in plan.defaults:
            sets.append(f"{quote(column)} = %s")
            params.append(value)
        return targets, (" SET " + ", ".join(sets)) if sets else "", params

    def _load_data(self, cursor, pipe: str, table: str, targets: str, sets: str = "", params=()) -> int:
        cursor.execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} CHARACTER SET utf8mb4 "
            r"FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' "
            f"({targets}){sets}",
            [pipe, *params],
        )
        return cursor.rowcount

    def _direct(self, cursor, text: Iterator[str], targets: str, sets: str, params: list[Any]) -> None:
        with RowPipe(text, label=self.plan.label) as pipe:
            try:
                loaded = self._load_data(cursor, pipe.path, self.table, targets, sets, params)
            except IntegrityError as error:
                if error.args[0] != _NO_PARENT:
                    raise
                raise LoadAgain from None
        expected = self.counts.read - self.counts.rejected
        if loaded != expected or self.backend.connection.connection.warning_count():
            # Some rows collided with rows already there (another course's ids, or values of
            # another unique index): LOAD DATA LOCAL skipped them. Merge instead, which says why.
            raise LoadAgain
        self.counts.inserted = loaded
        if self.on_written is not None:  # there was no row of the file's before: these are its rows
            self.on_written(cursor, *self.written)

    def _create_staging(self, cursor) -> str:
        staging = quote(f"edx_schema_staging_{self.plan.spec.table}")
        columns = ", ".join(map(quote, self.plan.all_columns))
        cursor.execute(self.backend.drop_temporary_sql(staging))
        # One CREATE TEMPORARY ... SELECT: unlike ALTER TABLE, it does not commit the transaction.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} (edx_schema_line BIGINT NOT NULL DEFAULT 0) "
            f"SELECT {columns} FROM {self.table} LIMIT 0"
        )
        return staging

    def _staged_verbatim(self, cursor, verbatim: Verbatim) -> None:
        staging = self._create_staging(cursor)
        targets, sets, params = self._file_order_columns(line_column=True)
        with RowPipe(verbatim.text(line_column=True), label=self.plan.label) as pipe:
            self._load_data(cursor, pipe.path, staging, targets, sets, params)
        if self.backend.connection.connection.warning_count():
            # The verbatim patterns admit only what loads exactly; a warning would mean a value
            # was read otherwise: load the member again, converted, which says what it was.
            raise LoadAgain
        self._merge(cursor, staging)

    def _staged(self, cursor, rows: Iterator[Row]) -> None:
        staging = self._create_staging(cursor)
        targets = ", ".join(map(quote, [*self.plan.all_columns, "edx_schema_line"]))
        with RowPipe(load_data_lines(rows, line_column=True), label=self.plan.label) as pipe:
            self._load_data(cursor, pipe.path, staging, targets)
        self._merge(cursor, staging)

    def _merge(self, cursor, staging: str) -> None:
        """Check the staged rows, then upsert them on the table's key and count the outcome.

        Rows apply in line order, and one that another row's values of a unique index other than
        the key (a username) stand in the way of is refused (see _apply_conflicting). Such rows
        are rare, and finding them costs two joins per index: the rows are first upserted without
        looking, and only if the database meets a collision (an insert it skipped, a duplicate
        key on update) is that undone and the merge done again the careful way.
        """
        plan = self.plan
        self._check_references(cursor, staging)
        if "visible_blocks_hash" in plan.all_columns:
            cursor.execute(f"SELECT DISTINCT course_id FROM {staging}")
            plan.prepare_courses({course for (course,) in cursor.fetchall()})
        cursor.execute("SAVEPOINT edx_schema_merge")
        try:
            inserted, updated, written = self._upsert(cursor, staging)
        except _Collision:
            cursor.execute("ROLLBACK TO SAVEPOINT edx_schema_merge")
            inserted, updated, written = apply_conflicting(self, cursor, staging)
            more = self._upsert(cursor, staging, checked=True)
            inserted, updated, written = inserted + more[0], updated + more[1], written + more[2]
        cursor.execute("RELEASE SAVEPOINT edx_schema_merge")
        if self.on_written is not None:
            self.on_written(cursor, staging, [])
        cursor.execute(f"DROP TEMPORARY TABLE {staging}")
        self.counts.inserted = inserted
        self.counts.updated = updated
        self.counts.unchanged = written - inserted - updated

    def _upsert(self, cursor, staging: str, *, checked: bool = False) -> tuple[int, int, int]:
        """Upsert the staged rows; ``(inserted, updated, rows)``.

        Counted by the statements that write, inside the transaction, so that concurrent imports
        of the same rows (``--jobs``, or two commands) never both count a row as inserted: the
        first statement inserts the rows whose key is new *when it runs* (InnoDB makes it wait
        for a concurrent insert of the same key, then skips the row), the second applies every
        staged row to its now existing row: ``2`` affected rows per changed row, ``1`` per
        unchanged one (Django connects with CLIENT_FOUND_ROWS).

        Raises _Collision if a row collided with another on a unique index other than the key,
        unless ``checked`` (the rows that could were applied one by one already): a collision is
        then another import's doing, and fails the member.
        """
        cursor.execute(f"SELECT COUNT(*) FROM {staging}")
        (staged,) = cursor.fetchone()
        columns = ", ".join(map(quote, self.plan.all_columns))
        rows = f"SELECT {columns} FROM {staging} s"
        # Only the keys not there yet (a plain read): INSERT IGNORE would take a shared lock on
        # each existing row, which the upsert then needs exclusively, and two imports of the same
        # rows would deadlock. A key inserted by another import meanwhile is waited for, skipped.
        new = f"NOT EXISTS (SELECT 1 FROM {self.table} t WHERE {self._key_match('t', 's')})"
        cursor.execute(
            f"INSERT IGNORE INTO {self.table} ({columns}) {rows} WHERE {new} ORDER BY s.edx_schema_line"
        )
        inserted = cursor.rowcount
        # Skipped rows are harmless if their key is there now (repeated in the file, or inserted
        # by another import meanwhile): the upsert then updates that row. If not, another unique
        # value was taken, and the upsert would insert the row after all, or update the other.
        skipped = re.search(
            r"Duplicates: (\d+)", self.backend.connection.connection.info() or "Duplicates: 1"
        )
        if skipped is None or int(skipped[1]):
            self._check_inserted(cursor, staging, checked=checked)
        if inserted == staged:
            return inserted, 0, staged  # all new (a first import): nothing to update
        try:
            cursor.execute(self.upsert_sql(source=f"{rows} ORDER BY s.edx_schema_line"))
        except IntegrityError as error:  # an update would take another row's unique value
            if checked or not error.args or error.args[0] != _DUPLICATE_KEY:
                raise
            raise _Collision from None
        updated = cursor.rowcount - staged
        return inserted, updated, staged

    def upsert_sql(self, *, source: str | None = None) -> str:
        """Upsert rows on the table's key (from ``source``, or one row of parameters)."""
        plan = self.plan
        return self.backend.upsert_sql(
            plan.spec.table, plan.all_columns, key=plan.spec.key, update=self.update, source=source
        )

    def _key_match(self, left: str, right: str) -> str:
        return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in self.plan.spec.key)

    def _check_inserted(self, cursor, staging: str, *, checked: bool) -> None:
        """Every staged row's key must be in the table once the new ones are inserted."""
        first = quote(self.plan.spec.key[0])
        cursor.execute(
            f"SELECT s.edx_schema_line FROM {staging} s LEFT JOIN {self.table} t "
            f"ON {self._key_match('t', 's')} WHERE t.{first} IS NULL ORDER BY s.edx_schema_line LIMIT 1"
        )
        missing = cursor.fetchone()
        if missing is None:
            return
        if not checked:
            raise _Collision
        raise FileFailed(
            f"{self.plan.label}, line {missing[0]}: the row could not be stored: another import "
            "wrote a row with the same unique values at the same time; run the import again"
        )

    def _check_references(self, cursor, staging: str) -> None:
        for column, ref_table, ref_column in self.plan.fk:
            col, ref = quote(column), quote(ref_column)
            orphan = (
                f"FROM {staging} s LEFT JOIN {quote(ref_table)} r ON r.{ref} = s.{col} "
                f"WHERE s.{col} IS NOT NULL AND r.{ref} IS NULL"
            )
            cursor.execute(
                f"SELECT s.edx_schema_line, s.{quote(column)} {orphan} ORDER BY s.edx_schema_line LIMIT %s",
                [self.options.max_errors + 1],
            )
            for line, value in cursor.fetchall():
                self.rows.reject_reference(line, column, value, ref_table)
            cursor.execute(f"DELETE s {orphan}")


@contextmanager
def member_savepoint(cursor) -> Iterator[None]:
    """The member's writes, undone together if anything fails.

    If InnoDB has rolled the whole transaction back (a deadlock), the savepoint went with it:
    the original error is raised, not the rollback's, so that the importer sees a deadlock and
    loads the member again.
    """
    cursor.execute("SAVEPOINT edx_schema_member")
    try:
        yield
    except BaseException:
        with suppress(DatabaseError):
            cursor.execute("ROLLBACK TO SAVEPOINT edx_schema_member")
        raise
    cursor.execute("RELEASE SAVEPOINT edx_schema_member")


def _chain(head: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield head
    yield from rest
