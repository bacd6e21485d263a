"""What a data-package member is, from its name alone.

Member names are ``{Org}-{course}-{run}-{table}-{site}-analytics.{ext}`` (plus ``.gpg``, and
``.failed`` when the exporter's task failed), forum dumps are ``{Org}-{course}-{run}-{site}.mongo``
and ORA tables sit in an ``ora/`` folder. Course numbers and runs may contain ``-``, and table
names are prefixes of one another (``auth_user`` / ``auth_userprofile``), so a name is parsed
from the right against the known table list, never split from the left.

Pure: no Django import.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

#: Table members edx-schema loads, by the table token in their file names, in foreign-key order
#: (a table's references come first). Two tokens are not table names (see MEMBER_TABLES).
LOADED_TABLES: tuple[str, ...] = (
    "auth_user",
    "auth_userprofile",
    "student_courseenrollment",
    "student_languageproficiency",
    "student_anonymoususerid",
    "user_id_map",
    "user_api_usercoursetag",
    "student_courseaccessrole",
    "django_comment_client_role_users",
    "course_groups_cohortmembership",
    "credit_crediteligibility",
    "verify_student_verificationstatus",
    "wiki_article",
    "wiki_articlerevision",
    "teams",
    "teams_membership",
    "courseware_studentmodule",
    "certificates_generatedcertificate",
    "grades_persistentcoursegrade",
    "grades_persistentsubsectiongrade",
    # ORA: the global rubric family and training examples, the retired AI tables, then the
    # submissions and what refers to them.
    "assessment_rubric",
    "assessment_criterion",
    "assessment_criterionoption",
    "assessment_assessmentfeedbackoption",
    "assessment_trainingexample",
    "assessment_trainingexample_options_selected",
    "assessment_aiclassifierset",
    "assessment_aiclassifier",
    "assessment_aitrainingworkflow",
    "assessment_aitrainingworkflow_training_examples",
    "submissions_studentitem",
    "submissions_submission",
    "submissions_score",
    "submissions_scoresummary",
    "assessment_assessment",
    "assessment_assessmentpart",
    "assessment_assessmentfeedback",
    "assessment_assessmentfeedback_assessments",
    "assessment_assessmentfeedback_options",
    "assessment_aigradingworkflow",
    "assessment_peerworkflow",
    "assessment_peerworkflowitem",
    "assessment_studenttrainingworkflow",
    "assessment_studenttrainingworkflowitem",
    "workflow_assessmentworkflow",
    "workflow_assessmentworkflowstep",
)

#: Member tokens that are not the name of the table their rows fill.
MEMBER_TABLES: dict[str, str] = {
    "teams": "teams_courseteam",
    "teams_membership": "teams_courseteammembership",
}
#: The table tokens some packages use instead (the table's own name): read as the usual token.
_TOKEN_ALIASES: dict[str, str] = {table: token for token, table in MEMBER_TABLES.items()}


def member_table(token: str) -> str:
    """The database table a member's table token loads into (``teams`` -> ``teams_courseteam``)."""
    return MEMBER_TABLES.get(token, token)


#: Tables the exporter writes that edx-schema does not load as tables: recognised, and reported.
UNMODELLED_TABLES: tuple[str, ...] = (
    "course_structure",
    "course",
)

#: The sites of an Open edX instance whose data a package holds (edX's own, and Edge).
SINGLE_SITES: tuple[str, ...] = ("prod", "edge")
#: Every site a member name can give: legacy packages combined both in "prod-edge" files.
SITES: tuple[str, ...] = (*SINGLE_SITES, "prod-edge")
#: What an import can be asked for: one site's members, or every member.
SITE_CHOICES: tuple[str, ...] = (*SINGLE_SITES, "all")


def sites_of(choice: str) -> tuple[str, ...]:
    """The member sites that a site choice takes: "prod-edge" files belong to prod."""
    if choice == "all":
        return SITES
    return (choice, "prod-edge") if choice == "prod" else (choice,)


#: The constant columns the exporter appends to auth_user for the retired Askbot forum.
AUTH_USER_ASKBOT_COLUMNS: tuple[str, ...] = (
    "status",
    "email_key",
    "avatar_type",
    "country",
    "show_country",
    "date_of_birth",
    "interesting_tags",
    "ignored_tags",
    "email_tag_filter_strategy",
    "display_tag_filter_strategy",
    "consecutive_days_visit_count",
)

# Longest first, so that a name ending in "-auth_userprofile" never matches "auth_user".
_KNOWN_TABLES = sorted(LOADED_TABLES + UNMODELLED_TABLES + tuple(_TOKEN_ALIASES), key=len, reverse=True)
# The other ORA tables (assessment_*, workflow_*, submissions_scoresummary, ...).
_ORA_TABLE = re.compile(r"-((?:assessment|workflow|submissions)_[a-z0-9_]+)$")
_PACKAGE = re.compile(r"^(?P<org>.+)-(?P<date>\d{4}-\d{2}-\d{2})$")
# Tracking logs: an org's daily file ({org}-{site}-events-{date}, any site token; early ones
# without "-events"), an RDX course's ({course token}-events-{date}), or an LMS server's rotated
# tracking.log (tracking.log-YYYYMMDD[-epoch], gzipped or not, perhaps behind a server's name).
_EVENTS = re.compile(
    r"^(?:(?P<org>[^/]+?)-(?P<site>[A-Za-z0-9_]+)-events|(?P<course>[^/]+)-events|(?P<old>[^/]+?)-(?:prod|edge|edx))"
    r"-(?P<date>\d{4}-\d{2}-\d{2})\.log(?:\.gz)?$"
)
_TRACKING_LOG = re.compile(r"^(?:.*[-_.])?tracking\.log(?:-(?P<date>\d{8})(?:-\d+)?)?(?:\.gz)?$")
_EXTENSIONS = (".xml.tar.gz", ".sql", ".json", ".mongo", ".csv")


@dataclass(frozen=True)
class MemberName:
    """The parsed name of one member.

    ``kind`` is ``table`` (a tab-separated ``.sql`` table), ``course_structure``, ``course_olx``,
    ``forum``, ``events`` (a tracking log), ``email_opt_in`` or ``unknown``. ``entity`` is the exporter's
    ``{Org}-{course}-{run}`` part and ``site`` one of :data:`SITES` (None when the name has none).
    """

    path: str
    kind: str
    table: str | None = None
    entity: str | None = None
    site: str | None = None
    failed: bool = False
    encrypted: bool = False
    #: The day in the name of a tracking log (its delivery day, or a server's rotation day).
    date: datetime.date | None = None

    @property
    def loaded(self) -> bool:
        """Whether edx-schema loads this member into a table."""
        return self.kind == "table" and self.table in LOADED_TABLES and not self.failed


def parse_member_name(path: str) -> MemberName:
    """Recognise a member from its path inside the package (or its file name)."""
    name = PurePosixPath(path).name
    encrypted = name.endswith(".gpg")
    if encrypted:
        name = name[: -len(".gpg")]
    failed = name.endswith(".failed")
    if failed:
        name = name[: -len(".failed")]
    common = {"path": path, "failed": failed, "encrypted": encrypted}
    events = _EVENTS.match(name) or _TRACKING_LOG.match(name)
    if events is not None:
        return MemberName(kind="events", site=_event_site(events), date=_event_date(events), **common)
    extension = next((ext for ext in _EXTENSIONS if name.endswith(ext)), None)
    if extension is None:
        return MemberName(kind="unknown", **common)
    stem = name[: -len(extension)]
    if extension == ".mongo":
        for site in SINGLE_SITES:
            if stem.endswith(f"-{site}"):
                return MemberName(kind="forum", entity=stem[: -len(site) - 1], site=site, **common)
        return MemberName(kind="forum", entity=stem, site="prod", **common)
    site = None
    for candidate in reversed(SITES):  # prod-edge before its own suffix "edge"
        if stem.endswith(f"-{candidate}-analytics"):
            site = candidate
            stem = stem[: -len(f"-{candidate}-analytics")]
            break
    if site is None:
        return MemberName(kind="unknown", **common)
    if extension == ".csv":
        kind = "email_opt_in" if stem.endswith("-email_opt_in") else "unknown"
        return MemberName(kind=kind, site=site, **common)
    table = next((t for t in _KNOWN_TABLES if stem.endswith(f"-{t}") and len(stem) > len(t) + 1), None)
    if table is None:
        match = _ORA_TABLE.search(stem)
        if match is None:
            return MemberName(kind="unknown", site=site, **common)
        table = match.group(1)
    entity = stem[: -len(table) - 1]
    table = _TOKEN_ALIASES.get(table, table)
    if extension == ".json":
        kind = "course_structure" if table == "course_structure" else "unknown"
    elif extension == ".xml.tar.gz":
        kind = "course_olx" if table == "course" else "unknown"
    else:
        kind = "table" if table not in ("course_structure", "course") else "unknown"
    return MemberName(kind=kind, table=table, entity=entity, site=site, **common)


def _event_site(match: re.Match[str]) -> str:
    """A tracking log's site: ``edge`` for Edge's, else prod (edX's files say ``edx``, and
    ``prod``, ``patches`` or a self-hosted site's token are the main site's)."""
    groups = match.groupdict()
    token = groups.get("site") or ""
    if groups.get("old"):
        token = match.string[len(groups["old"]) + 1 :].split("-", 1)[0]
    return "edge" if token == "edge" else "prod"


def _event_date(match: re.Match[str]) -> datetime.date | None:
    text = match.group("date")
    if not text:
        return None
    try:
        if len(text) == 8:
            return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return datetime.date.fromisoformat(text)
    except ValueError:  # a name's impossible day: the file is read all the same
        return None


def course_entity(*, org: str, course: str, run: str) -> str:
    """The ``{Org}-{course}-{run}`` part the exporter puts in member names for a course key.

    Characters beyond ASCII become ``_``, as the exporter has done since 2019 (its test is
    ``ord(c) > 128``, so U+0080 itself is kept, and is kept here too).
    """
    return re.sub(r"[^\x00-\x80]", "_", "-".join((org, course, run)))


def split_package_name(name: str) -> tuple[str, datetime.date] | None:
    """``("mitx", date(2013, 10, 27))`` for ``mitx-2013-10-27`` (a folder or zip stem), else None."""
    match = _PACKAGE.match(name)
    if match is None:
        return None
    try:
        return match.group("org"), datetime.date.fromisoformat(match.group("date"))
    except ValueError:
        return None
