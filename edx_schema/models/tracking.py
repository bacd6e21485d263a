"""Tracking logs (event logs): the LMS's clickstream, one JSON event per line, loaded by
``import_package``. edx-schema's own tables: the LMS writes these events to files, not MySQL.
"""

from __future__ import annotations

from django.db import models

from ..package.events import FAMILY_LABELS
from ..package.events.decode import WIDTHS


class TrackingLogFile(models.Model):
    """One tracking-log file whose events are loaded, known by the SHA-256 of its clear bytes.

    Table ``edx_schema_trackinglogfile``. A file already loaded in full is skipped by later
    imports, under whatever name it comes again (``--force`` loads it again). A file loaded
    with ``--course``, ``--since`` or ``--until`` is not complete, and a later import without
    them reads it again; the events it stored are not stored twice.

    .. no_pii:
    """

    sha256 = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the file's bytes (gzipped or not)."
    )
    name = models.CharField(max_length=255, help_text="The file's path in its package.")
    package = models.CharField(max_length=255, db_index=True, help_text="The package it came in.")
    site = models.CharField(max_length=16, blank=True, help_text="prod or edge.")
    date = models.DateField(null=True, blank=True, help_text="The day in its name (the delivery day).")
    lines = models.BigIntegerField(default=0, help_text="Lines read.")
    events = models.BigIntegerField(default=0, help_text="Lines that are events.")
    inserted = models.BigIntegerField(default=0, help_text="Events stored by its latest load.")
    duplicates = models.BigIntegerField(
        default=0, help_text="Events already stored (from this or another file)."
    )
    bad_lines = models.BigIntegerField(default=0, help_text="Lines that are not events (reported, skipped).")
    filtered = models.BigIntegerField(default=0, help_text="Events left out by --course, --since or --until.")
    complete = models.BooleanField(default=False, help_text="Every event of the file is stored.")
    loaded_at = models.DateTimeField(help_text="When it was last loaded.")

    class Meta:
        db_table = "edx_schema_trackinglogfile"
        ordering = ["-date", "name"]
        verbose_name = "tracking-log file"

    def __str__(self) -> str:
        return self.name


class TrackingEvent(models.Model):
    """One event of a tracking log: the fields research queries on, and the raw JSON.

    Table ``edx_schema_trackingevent``. ``event`` and ``context`` hold the JSON text exactly as
    the line had it: ``event`` is an object for server events and a JSON *string* for browser
    and mobile events (decode it twice), as the LMS wrote them. ``time`` is the event's UTC time
    (the device's clock for mobile events); ``event_type`` is the filter that spans every year
    (newer events also have a ``name``), the URL path for implicit page requests.

    Each event is stored once: there is no event id in the logs, so rows are keyed by a hash of
    the normalised line (:attr:`line_hash`), and a day the exporter sends again, an org alias's
    copy or a file in two packages adds nothing. ``file`` and ``line`` say where the event was
    first read.

    .. pii: ``username``, ``user_id``, ``ip``, ``agent``, ``session`` (a pseudonym within one
       session), ``page``, ``referer`` and ``accept_language`` identify or describe the learner;
       ``context`` repeats some of them, and ``event`` may hold their own words (forum posts,
       answers, GET/POST parameters) and other users' names (staff actions).
    """

    id = models.BigAutoField(primary_key=True)  # billions of events: past a 32-bit id
    file = models.ForeignKey(
        TrackingLogFile,
        on_delete=models.CASCADE,
        related_name="tracking_events",
        db_index=False,  # the unique (file, line) index serves it
        help_text="The file the event was first read from.",
    )
    line = models.PositiveIntegerField(help_text="Its line in that file (1-based).")
    line_hash = models.CharField(
        max_length=32,
        unique=True,
        help_text="First 128 bits of the SHA-256 of the line from its first '{', trailing blanks removed.",
    )
    time = models.DateTimeField(help_text="When the event happened (UTC, microseconds).")
    event_type = models.CharField(max_length=WIDTHS["event_type"], help_text="The event type, or a URL path.")
    name = models.CharField(
        max_length=WIDTHS["name"], null=True, blank=True, help_text="The newer event name."
    )
    event_source = models.CharField(
        max_length=WIDTHS["event_source"], null=True, blank=True, help_text="browser, server, mobile or task."
    )
    family = models.CharField(
        max_length=16,
        choices=list(FAMILY_LABELS.items()),
        help_text="The family of research queries the event type serves.",
    )
    username = models.CharField(
        max_length=WIDTHS["username"], null=True, blank=True, help_text="Who acted ('' when logged out)."
    )
    user_id = models.BigIntegerField(
        null=True, blank=True, help_text="context.user_id: auth_user.id of the actor."
    )
    course_id = models.CharField(
        max_length=WIDTHS["course_id"],
        blank=True,
        help_text="context.course_id, else the course in the page URL or path ('' for none).",
    )
    org_id = models.CharField(
        max_length=WIDTHS["org_id"], blank=True, help_text="context.org_id, else the course's."
    )
    block_id = models.CharField(
        max_length=WIDTHS["block_id"],
        null=True,
        blank=True,
        help_text="The usage key the event names (problem, video, sequence, handler URL).",
    )
    page = models.TextField(null=True, blank=True, help_text="The page URL (browser events).")
    session = models.CharField(
        max_length=WIDTHS["session"], null=True, blank=True, help_text="Hashed session id."
    )
    host = models.TextField(null=True, blank=True, help_text="The LMS host that logged it.")
    ip = models.TextField(null=True, blank=True, help_text="The client's IP address.")
    agent = models.TextField(null=True, blank=True, help_text="The browser's user agent.")
    referer = models.TextField(null=True, blank=True, help_text="The HTTP referer (from 2015).")
    accept_language = models.TextField(
        null=True, blank=True, help_text="The Accept-Language header (from 2015)."
    )
    event = models.TextField(
        null=True, blank=True, help_text="The event's payload, exactly as logged (JSON)."
    )
    context = models.TextField(
        null=True, blank=True, help_text="The event's context, exactly as logged (JSON)."
    )

    class Meta:
        db_table = "edx_schema_trackingevent"
        verbose_name = "tracking event"
        constraints = [models.UniqueConstraint(fields=["file", "line"], name="edx_schema_event_file_line")]
        indexes = [
            # A course over time (by family: the course page's chart reads this index alone).
            models.Index(fields=["course_id", "time", "family"], name="edx_schema_event_course"),
            # A learner over time.
            models.Index(fields=["user_id", "time"], name="edx_schema_event_user"),
            # An event type over time.
            models.Index(fields=["event_type", "time"], name="edx_schema_event_type"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} at {self.time:%Y-%m-%d %H:%M:%S}"
