"""The builder's members beyond the loaded tables: wiki, teams, roles, credit, cohorts, ORA, opt-in.

Headers are checked against the exporter's physical column orders (package_tables.md), values
against the exporter's text format, and each member against the others it refers to, as a
loader joining them would.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from pathlib import Path

import pytest

from edx_schema.package.builder import PackageSpec, build_package
from tests.package.built import member_rows

SPEC = PackageSpec(learners=8, problems=4)
CS = "UniversityX-CS-101x-3T2024"
CS_KEY = "course-v1:UniversityX+CS-101x+3T2024"
HIST = "UniversityX-HIST.2x-2013_Spring"
COURSES = (CS, HIST)

#: Each member's header, as the note gives it (PIPE's fixtures; ``teams`` with the 13th column of
#: late 2019). The ORA members have ORA's first columns then those its later migrations
#: appended, the order of edX's long-lived database (package_tables.md 2.9, "Columns added later").
HEADERS = {
    "wiki_article": "id current_revision_id created modified owner_id group_id group_read group_write "
    "other_read other_write",
    "wiki_articlerevision": "id revision_number user_message automatic_log ip_address user_id modified "
    "created previous_revision_id deleted locked article_id content title",
    "student_languageproficiency": "id user_profile_id code",
    "teams": "id team_id name course_id topic_id date_created description country language "
    "discussion_topic_id last_activity_at team_size organization_protected",
    "teams_membership": "id user_id team_id date_joined last_activity_at",
    "student_courseaccessrole": "org course_id user_id role",
    "django_comment_client_role_users": "course_id user_id name",
    "credit_crediteligibility": "id created modified username deadline course_id",
    "course_groups_cohortmembership": "user_id course_id group_type name",
    "ora/assessment_rubric": "id content_hash structure_hash",
    "ora/assessment_criterion": "id rubric_id name order_num prompt label",
    "ora/assessment_criterionoption": "id criterion_id order_num points name explanation label",
    "ora/assessment_assessment": "id submission_uuid rubric_id scored_at scorer_id score_type feedback",
    "ora/assessment_assessmentpart": "id assessment_id option_id feedback criterion_id",
    "ora/assessment_assessmentfeedback": "id submission_uuid feedback_text",
    "ora/assessment_assessmentfeedback_assessments": "id assessmentfeedback_id assessment_id",
    "ora/assessment_assessmentfeedback_options": "id assessmentfeedback_id assessmentfeedbackoption_id",
    "ora/assessment_assessmentfeedbackoption": "id text",
    "ora/assessment_peerworkflow": "id student_id item_id course_id submission_uuid created_at completed_at "
    "grading_completed_at cancelled_at",
    "ora/assessment_peerworkflowitem": "id scorer_id author_id submission_uuid started_at assessment_id "
    "scored",
    "ora/assessment_studenttrainingworkflow": "id submission_uuid student_id item_id course_id",
    "ora/assessment_studenttrainingworkflowitem": "id workflow_id order_num started_at completed_at "
    "training_example_id",
    "ora/assessment_trainingexample": "id raw_answer rubric_id content_hash",
    "ora/assessment_trainingexample_options_selected": "id trainingexample_id criterionoption_id",
    "ora/submissions_scoresummary": "id student_item_id highest_id latest_id",
    "ora/workflow_assessmentworkflow": "id created modified status status_changed submission_uuid uuid "
    "course_id item_id",
    "ora/workflow_assessmentworkflowstep": "id workflow_id name submitter_completed_at "
    "assessment_completed_at order_num skipped",
}
VERIFICATION_HEADER = "timestamp status course_id checkpoint_location user_id"
OPT_IN_HEADER = "user_id,username,email,full_name,course_id,is_opted_in_for_email,preference_set_datetime"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return build_package(spec=SPEC, output=tmp_path_factory.mktemp("built")).path


def path_of(folder: Path, course: str, table: str) -> Path:
    """A member's path: ``table`` may start with ``ora/``."""
    sub, _, name = table.rpartition("/")
    return folder / sub / f"{course}-{name}-prod-analytics.sql"


def rows(folder: Path, course: str, table: str) -> list[dict[str, str | None]]:
    return member_rows(path_of(folder, course, table))


def ids(records: list[dict], column: str = "id") -> set[str | None]:
    return {record[column] for record in records}


def hex_uuid(value: str) -> str:
    """A submission uuid normalised as a loader must join it: lower case, no hyphens."""
    return value.replace("-", "").lower()


# -- headers and values ---------------------------------------------------------------------------


@pytest.mark.parametrize("table", HEADERS)
@pytest.mark.parametrize("course", COURSES)
def test_headers_are_the_exporters_physical_column_orders(folder, course, table):
    first_line = path_of(folder, course, table).read_bytes().partition(b"\n")[0]
    assert first_line.decode().split("\t") == HEADERS[table].split()


def test_null_empty_and_escapes_are_written_as_the_exporter_writes_them(folder):
    raw = path_of(folder, CS, "wiki_articlerevision").read_text(encoding="utf-8").split("\n")
    automatic = dict(zip(raw[0].split("\t"), raw[1].split("\t"), strict=True))
    # The LMS's own first revision: no editor, no IP address, no previous revision; '' log.
    assert [automatic[c] for c in ("ip_address", "user_id", "previous_revision_id")] == ["NULL"] * 3
    assert automatic["automatic_log"] == ""
    revisions = rows(folder, CS, "wiki_articlerevision")
    assert (revisions[0]["ip_address"], revisions[0]["automatic_log"]) == (None, "")
    # Markdown with CRLF line ends: escaped in the file, exact once read.
    assert any("\\r\\n" in line for line in raw)
    assert any("\r\n" in r["content"] for r in revisions)
    assert any("\t" in r["content"] and "\\" in r["content"] for r in revisions)
    (home, *_pages) = rows(folder, CS, "wiki_article")
    assert (home["owner_id"], home["group_id"]) == (None, None)
    teams = rows(folder, CS, "teams")
    assert "" in ids(teams, "country")  # blank, not NULL
    assert None not in ids(teams, "country")
    assert any("\n" in team["description"] for team in teams)
    assert ids(rows(folder, CS, "ora/assessment_peerworkflow"), "cancelled_at") == {None}


def test_the_opt_in_list_is_an_excel_csv_with_crlf_lines(folder):
    (path,) = folder.glob("*email_opt_in*")
    assert path.name == "universityx-email_opt_in-prod-analytics.csv"
    data = path.read_bytes()
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    lines = data.decode().split("\r\n")[:-1]
    assert lines.count(OPT_IN_HEADER) == 1  # the exporter's chunk of 10,000 courses holds both
    records = list(csv.DictReader(io.StringIO(data.decode(), newline="")))
    # One row per enrollment, active or not, of every course of the org.
    enrollments = [
        (r["user_id"], r["course_id"]) for c in COURSES for r in rows(folder, c, "student_courseenrollment")
    ]
    assert sorted((r["user_id"], r["course_id"]) for r in records) == sorted(enrollments)
    users = {r["id"]: r for c in COURSES for r in rows(folder, c, "auth_user")}
    names = {r["user_id"]: r["name"] for c in COURSES for r in rows(folder, c, "auth_userprofile")}
    preferences: dict[str, set[tuple[str, str]]] = {}
    for record in records:
        user = users[record["user_id"]]
        assert (record["username"], record["email"]) == (user["username"], user["email"])
        assert record["full_name"] == names[record["user_id"]]
        preference = (record["is_opted_in_for_email"], record["preference_set_datetime"])
        preferences.setdefault(record["user_id"], set()).add(preference)
    # An org-level preference: the same in each of a learner's courses.
    assert all(len(each) == 1 for each in preferences.values())
    values = [next(iter(each)) for each in preferences.values()]
    defaults = [v for v in values if v == ("True", "2014-12-01 00:00:00")]
    tagged = [v for v in values if v not in defaults]
    assert defaults
    assert tagged
    for opted_in, set_at in tagged:
        assert opted_in in ("True", "False")
        assert set_at.endswith("+00:00")
        assert datetime.datetime.fromisoformat(set_at).utcoffset() == datetime.timedelta(0)


def test_the_opt_in_header_is_repeated_for_each_chunk_of_courses(tmp_path):
    spec = PackageSpec(learners=4, problems=4, courses=3, email_optin_chunk_size=2)
    built = build_package(spec=spec, output=tmp_path)
    (path,) = built.path.glob("*email_opt_in*")
    lines = path.read_bytes().decode().split("\r\n")[:-1]
    headers = [index for index, line in enumerate(lines) if line == OPT_IN_HEADER]
    assert len(headers) == 2
    # The second header starts the third course's rows: the first chunk holds two courses.
    before = {line.split(",")[4] for line in lines[1 : headers[1]]}
    after = {line.split(",")[4] for line in lines[headers[1] + 1 :]}
    assert len(before) == 2
    assert len(after) == 1
    assert not before & after
    assert built.rows["email_opt_in"] == len(lines) - 2


@pytest.mark.parametrize(
    ("date", "written"),
    [
        (datetime.date(2015, 7, 31), False),
        (datetime.date(2015, 8, 1), True),
        (datetime.date(2018, 4, 8), True),
        (datetime.date(2018, 4, 9), False),
        (datetime.date(2024, 11, 17), False),
    ],
)
def test_the_legacy_verification_status_is_written_only_while_the_exporter_wrote_it(tmp_path, date, written):
    built = build_package(spec=PackageSpec(learners=6, problems=4, date=date), output=tmp_path)
    members = sorted(built.path.glob("*-verify_student_verificationstatus-prod-analytics.sql"))
    assert len(members) == (2 if written else 0)
    assert ("verify_student_verificationstatus" in built.rows) == written
    if not written:
        return
    for course, key in ((CS, CS_KEY), (HIST, None)):
        path = path_of(built.path, course, "verify_student_verificationstatus")
        assert path.read_text().partition("\n")[0].split("\t") == VERIFICATION_HEADER.split()
        statuses = member_rows(path)
        if key is None:  # a course from before in-course reverification: header only
            assert statuses == []
            continue
        verified = {
            r["user_id"]
            for r in member_rows(path_of(built.path, course, "student_courseenrollment"))
            if r["mode"] == "verified"
        }
        assert {r["user_id"] for r in statuses} == verified
        assert [r["timestamp"] for r in statuses] == sorted(r["timestamp"] for r in statuses)
        assert {r["course_id"] for r in statuses} == {key}
        assert Counter(r["status"] for r in statuses)["submitted"] == len(verified)
        assert {r["status"] for r in statuses} <= {"submitted", "approved", "denied"}


# -- each member against the others ---------------------------------------------------------------


def test_wiki_articles_and_revisions_name_each_other(folder):
    for course in COURSES:
        articles = rows(folder, course, "wiki_article")
        revisions = rows(folder, course, "wiki_articlerevision")
        assert len(articles) >= 2
        assert len(revisions) > len(articles)
        by_id = {r["id"]: r for r in revisions}
        enrolled = ids(rows(folder, course, "student_courseenrollment"), "user_id")
        for article in articles:
            own = sorted(
                (r for r in revisions if r["article_id"] == article["id"]),
                key=lambda r: int(r["revision_number"]),
            )
            # The live revision is the article's newest; each revision follows the one before it.
            assert by_id[article["current_revision_id"]] == own[-1]
            assert [r["revision_number"] for r in own] == [str(n) for n in range(1, len(own) + 1)]
            assert [r["previous_revision_id"] for r in own] == [None, *(r["id"] for r in own[:-1])]
        assert ids(revisions, "user_id") - {None} <= enrolled
    # Each course has its own wiki: no article id is in both.
    assert not ids(rows(folder, CS, "wiki_article")) & ids(rows(folder, HIST, "wiki_article"))


def test_language_proficiencies_belong_to_the_courses_profiles(folder):
    for course in COURSES:
        languages = rows(folder, course, "student_languageproficiency")
        profiles = ids(rows(folder, course, "auth_userprofile"))
        assert ids(languages, "user_profile_id") <= profiles
        assert ids(languages, "user_profile_id") < profiles  # most learners list none
        per_profile = Counter(r["user_profile_id"] for r in languages)
        assert max(per_profile.values()) <= 2
        assert len({(r["user_profile_id"], r["code"]) for r in languages}) == len(languages)
    # Learner-level rows: a learner's proficiencies are the same rows in each of their courses.
    both = [rows(folder, course, "student_languageproficiency") for course in COURSES]
    shared = ids(both[0], "user_profile_id") & ids(both[1], "user_profile_id")
    assert shared
    assert [r for r in both[0] if r["user_profile_id"] in shared] == [
        r for r in both[1] if r["user_profile_id"] in shared
    ]


def test_every_membership_is_of_one_of_the_courses_teams(folder):
    teams = rows(folder, CS, "teams")
    memberships = rows(folder, CS, "teams_membership")
    assert len(teams) == 2
    assert {m["team_id"] for m in memberships} == ids(teams)
    sizes = Counter(m["team_id"] for m in memberships)
    assert {t["id"]: int(t["team_size"]) for t in teams} == sizes
    assert ids(memberships, "user_id") <= ids(rows(folder, CS, "student_courseenrollment"), "user_id")
    assert len(ids(memberships, "user_id")) == len(memberships)  # one team each, in the one topic
    assert ids(teams, "course_id") == {CS_KEY}
    assert len(ids(teams, "discussion_topic_id")) == len(ids(teams, "team_id")) == 2
    # A course from before teams existed: both members header-only.
    assert rows(folder, HIST, "teams") == rows(folder, HIST, "teams_membership") == []


def test_staff_roles_name_enrolled_staff_and_a_staff_member_the_package_lacks(folder):
    package_users = {r["id"] for course in COURSES for r in rows(folder, course, "auth_user")}
    for course in COURSES:
        roles = rows(folder, course, "student_courseaccessrole")
        users = ids(rows(folder, course, "auth_user"))
        assert {r["role"] for r in roles} == {"instructor", "staff", "beta_testers", "data_researcher"}
        assert {r["org"] for r in roles} == {"UniversityX"}
        assert len(ids(roles, "course_id")) == 1
        staff = ids(roles, "user_id")
        assert staff & users  # enrolled staff, in the course's auth_user file
        assert staff - package_users  # staff who never enrolled: in no auth_user file at all
        forum = rows(folder, course, "django_comment_client_role_users")
        students = sorted(r["user_id"] for r in forum if r["name"] == "Student")
        assert students == sorted(r["user_id"] for r in rows(folder, course, "student_courseenrollment"))
        assert {r["name"] for r in forum} == {"Student", "Administrator", "Moderator", "Community TA"}
        assert ids(forum, "course_id") == ids(roles, "course_id")


def test_credit_eligibility_is_of_one_course_and_names_it_by_its_key(folder):
    eligible = rows(folder, CS, "credit_crediteligibility")
    assert eligible
    assert ids(eligible, "course_id") == {CS_KEY}
    assert [r["username"] for r in eligible] == sorted(r["username"] for r in eligible)
    users = {r["username"]: r["id"] for r in rows(folder, CS, "auth_user")}
    passed = {r["user_id"] for r in rows(folder, CS, "grades_persistentcoursegrade") if r["passed_timestamp"]}
    assert {users[r["username"]] for r in eligible} == passed
    assert all(r["deadline"] > r["created"] for r in eligible)
    assert rows(folder, HIST, "credit_crediteligibility") == []


def test_one_course_is_cohorted_into_two_cohorts(folder):
    members = rows(folder, CS, "course_groups_cohortmembership")
    assert ids(members, "user_id") == ids(rows(folder, CS, "student_courseenrollment"), "user_id")
    assert len(members) == len(ids(members, "user_id"))  # one cohort per learner
    assert len(ids(members, "name")) == 2
    assert ids(members, "group_type") == {"cohort"}
    assert ids(members, "course_id") == {CS_KEY}
    assert rows(folder, HIST, "course_groups_cohortmembership") == []


@pytest.mark.parametrize("course", COURSES)
def test_ora_members_refer_to_the_courses_submissions_and_to_each_other(folder, course):
    def ora(table: str) -> list[dict]:
        return rows(folder, course, f"ora/{table}")

    submissions = {r["uuid"]: r for r in ora("submissions_submission")}
    assert submissions
    assessments = ora("assessment_assessment")
    # The ORA tables name submissions in the API's hyphenated form; normalised, they are the
    # course's submissions.
    for table in (
        "assessment_assessment",
        "assessment_assessmentfeedback",
        "assessment_peerworkflow",
        "assessment_studenttrainingworkflow",
        "workflow_assessmentworkflow",
    ):
        uuids = ids(ora(table), "submission_uuid")
        assert all("-" in uuid for uuid in uuids), table
        assert {hex_uuid(uuid) for uuid in uuids} <= set(submissions), table
    assert {hex_uuid(u) for u in ids(ora("workflow_assessmentworkflow"), "submission_uuid")} == set(
        submissions
    )
    assert {hex_uuid(a["submission_uuid"]) for a in assessments if a["score_type"] == "SE"} == set(
        submissions
    )

    # Parts: one per criterion of each assessment, an option of that criterion.
    criteria = ids(ora("assessment_criterion"))
    options = {o["id"]: o for o in ora("assessment_criterionoption")}
    parts = ora("assessment_assessmentpart")
    assert Counter(p["assessment_id"] for p in parts) == dict.fromkeys(ids(assessments), len(criteria))
    for part in parts:
        assert options[part["option_id"]]["criterion_id"] == part["criterion_id"]
    assert (
        ids(ora("assessment_criterion"), "rubric_id")
        == ids(assessments, "rubric_id")
        == ids(ora("assessment_rubric"))
    )

    # A submission's first score is the points of the options its peer assessment chose; a staff
    # regrade (ST) adds a later score, with a greater id, of the points its options give.
    def points(assessment: dict) -> str:
        chosen = [options[p["option_id"]]["points"] for p in parts if p["assessment_id"] == assessment["id"]]
        return str(sum(map(int, chosen)))

    scores: dict[str, list[dict]] = {}
    for score in sorted(ora("submissions_score"), key=lambda s: int(s["id"])):
        scores.setdefault(score["submission_id"], []).append(score)
    score_ids = {s["id"]: s for s in ora("submissions_score")}
    by_uuid = {hex_uuid(a["submission_uuid"]): a for a in assessments if a["score_type"] == "PE"}
    staff = {hex_uuid(a["submission_uuid"]): a for a in assessments if a["score_type"] == "ST"}
    assert by_uuid
    assert staff
    assert staff.keys() <= by_uuid.keys()
    for uuid, assessment in by_uuid.items():
        own = scores[submissions[uuid]["id"]]
        assert own[0]["points_earned"] == points(assessment)
        assert [s["points_earned"] for s in own[1:]] == ([points(staff[uuid])] if uuid in staff else [])
        assert own[-1]["created_at"] >= own[0]["created_at"]

    # The score summaries name the course's student items and their scores: the latest is the
    # greatest id, the highest the most points.
    items = ids(ora("submissions_studentitem"))
    summaries = ora("submissions_scoresummary")
    assert len(summaries) == len(scores)
    for summary in summaries:
        assert summary["student_item_id"] in items
        for column in ("highest_id", "latest_id"):
            assert score_ids[summary[column]]["student_item_id"] == summary["student_item_id"]
        own = scores[score_ids[summary["latest_id"]]["submission_id"]]
        assert summary["latest_id"] == own[-1]["id"]
        assert score_ids[summary["highest_id"]]["points_earned"] == max(s["points_earned"] for s in own)

    # Peer workflow items: the exporter selects them by assessment_id IN (peer workflow ids).
    workflows = ids(ora("assessment_peerworkflow"))
    peer_items = ora("assessment_peerworkflowitem")
    assert peer_items
    assert ids(peer_items, "assessment_id") <= workflows & {
        a["id"] for a in assessments if a["score_type"] == "PE"
    }
    assert ids(peer_items, "scorer_id") | ids(peer_items, "author_id") <= workflows

    # Feedback on assessments, and the options it ticked.
    feedback = ids(ora("assessment_assessmentfeedback"))
    links = ora("assessment_assessmentfeedback_assessments")
    assert ids(links, "assessmentfeedback_id") == feedback
    assert ids(links, "assessment_id") <= ids(assessments)
    ticked = ora("assessment_assessmentfeedback_options")
    assert ids(ticked, "assessmentfeedback_id") <= feedback
    assert ids(ticked, "assessmentfeedbackoption_id") == ids(ora("assessment_assessmentfeedbackoption"))

    # Student training: each workflow's items are training examples of the same rubric.
    training = ora("assessment_studenttrainingworkflowitem")
    assert ids(training, "workflow_id") == ids(ora("assessment_studenttrainingworkflow"))
    examples = ora("assessment_trainingexample")
    assert ids(training, "training_example_id") == ids(examples)
    assert ids(examples, "rubric_id") == ids(ora("assessment_rubric"))
    selected = ora("assessment_trainingexample_options_selected")
    assert ids(selected, "trainingexample_id") == ids(examples)
    assert ids(selected, "criterionoption_id") <= set(options)

    # Every submission's workflow has its three steps, in order.
    steps = ora("workflow_assessmentworkflowstep")
    for workflow in ora("workflow_assessmentworkflow"):
        own = sorted(
            (s for s in steps if s["workflow_id"] == workflow["id"]), key=lambda s: int(s["order_num"])
        )
        assert [s["name"] for s in own] == ["training", "peer", "self"]


@pytest.mark.parametrize(
    "table",
    [
        "ora/assessment_rubric",
        "ora/assessment_criterion",
        "ora/assessment_criterionoption",
        "ora/assessment_trainingexample",
        "ora/assessment_trainingexample_options_selected",
    ],
)
def test_global_ora_rows_recur_with_the_same_ids_in_each_course(folder, table):
    first, second = (rows(folder, course, table) for course in COURSES)
    assert first
    assert first == second
