"""export_vismooc: every column's mapping, the original's bugs fixed, and a MariaDB round trip."""

import csv
import os
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from edx_schema.models import ForumPost, GeneratedCertificate, PersistentCourseGrade, UserProfile
from edx_schema.package.course import Block
from edx_schema.services.outline import save_outline
from edx_schema.testing.factories import CourseEnrollmentFactory, UserFactory, UserProfileFactory
from edx_schema.vismooc.format import TABLES
from edx_schema.vismooc.hashing import anonymize
from tests.conftest import server_connection

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "universityx-2024-11-17.zip"
COURSE = "course-v1:UniversityX+CS-101x+3T2024"
LEGACY = "UniversityX/HIST.2x/2013_Spring"
#: Values that the original pipeline mangled or that need care (vismooc.md §5.3).
TRICKY = ["C:\\", "\\frac \\theta", 'q"x', "NULL", "\\N", "line1\nline2", "cr\r\nx", "tab\there",
          "caf\u00e9 \U0001f600", "", "a,b", "nul\0x"]  # fmt: skip


def read(directory, table):
    """A written table's rows, read with the dialect LOAD DATA reads it with."""
    text = (directory / f"{table}.csv").read_text(encoding="utf-8")
    return list(csv.reader(StringIO(text, newline=""), escapechar="\\", doublequote=True))


def export(tmp_path, *args):
    out = StringIO()
    call_command("export_vismooc", str(tmp_path), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def sample():
    call_command("import_package", str(FIXTURE), verbosity=0)


def test_all_seven_files_are_written_even_empty_with_the_columns_of_the_ddl(sample, tmp_path):
    text = export(tmp_path)
    for table, columns in TABLES.items():
        rows = read(tmp_path, table)
        assert all(len(row) == len(columns) for row in rows), table
        assert f"{table}.csv: {len(rows)} rows" in text
    assert len(read(tmp_path, "videos")) == 2 * 3  # the sample's courses have a video a homework
    assert (tmp_path / "import_vismooc_to_moocdb.sql").exists()


def test_courses_keep_their_key_as_the_package_spells_it_in_either_format(sample, tmp_path):
    export(tmp_path)
    courses = {row[1]: row for row in read(tmp_path, "courses")}
    assert set(courses) == {COURSE, LEGACY}  # not the course block's usage key (bug B3)
    assert [courses[COURSE][i] for i in (4, 3, 7, 8)] == [
        "UniversityX",
        "2024_Q0_R0",
        "2024-01-08 00:00:00",
        "",
    ]
    assert courses[LEGACY][4] == "UniversityX"
    enrolled = {row[2] for row in read(tmp_path, "enrollments")}
    assert enrolled == {COURSE, LEGACY}  # the same ids join courses to enrollments


def test_users_are_joined_to_their_own_profile_not_by_row_position(db, tmp_path):
    # Profiles created in the reverse order of their users: pairing by position would swap them.
    first, second = UserFactory(profile=False), UserFactory(profile=False)
    UserProfileFactory(user=second, name="Second Learner", goals="B", year_of_birth=1990)
    UserProfileFactory(user=first, name="First Learner", goals="A", year_of_birth=None)
    UserFactory(profile=False)  # no profile: left out, and counted
    text = export(tmp_path)
    users = {row[1]: row for row in read(tmp_path, "users")}
    assert set(users) == {str(first.pk), str(second.pk)}
    profile = UserProfile.objects.get(user=first)
    assert users[str(first.pk)] == [
        str(profile.pk), str(first.pk), anonymize(first.username), anonymize("First Learner"),
        profile.language, profile.location, "", profile.level_of_education, "A", profile.gender,
        profile.country,
    ]  # fmt: skip
    assert users[str(second.pk)][6] == "1990"
    assert "1 users have no profile" in text


def test_videos_get_the_originals_ids_sections_and_urls_and_orphans_do_not_abort(db, tmp_path):
    course = "org/course/run"

    def key(category, name):
        return f"i4x://org/course/{category}/{name}"

    def block(key_, category, parent, position, depth, name, **meta):
        metadata = {"display_name": name, **meta} if name else meta
        return Block(key_, category, parent, position, depth, name, metadata, {})

    save_outline(
        course_id=course,
        blocks=[
            block(key("course", "run"), "course", None, 0, 0, "Course", start="2013-02-01T12:00:00Z"),
            block(key("chapter", "c0"), "chapter", key("course", "run"), 1, 1, "chapter zero"),
            block(key("chapter", "c1"), "chapter", key("course", "run"), 2, 1, "chapter one"),
            block(key("sequential", "s1"), "sequential", key("chapter", "c1"), 3, 2, "sequential one"),
            block(key("sequential", "s2"), "sequential", key("chapter", "c1"), 4, 2, "sequential two"),
            block(key("vertical", "v3"), "vertical", key("sequential", "s2"), 5, 3, "vertical three"),
            block(key("html", "h"), "html", key("vertical", "v3"), 6, 4, "notes"),
            block(key("video", "f50cc021e7b84729b53aabf23017cd13"), "video", key("vertical", "v3"), 7, 4,
                  "video one", html5_sources=["https://example.org/one.mp4", "x"]),
            block(key("vertical", "nameless"), "vertical", key("sequential", "s1"), 8, 3, ""),
            block(key("video", "v2"), "video", key("vertical", "nameless"), 9, 4, "video two"),
            block(key("video", "orphan"), "video", None, 10, 0, "orphan video"),
        ],
    )  # fmt: skip
    export(tmp_path)
    videos = {row[1]: row for row in read(tmp_path, "videos")}
    one = videos[key("video", "f50cc021e7b84729b53aabf23017cd13")]
    assert one == [
        "4176302298990310613", key("video", "f50cc021e7b84729b53aabf23017cd13"), "video one",
        "1>>chapter one>>1>>sequential two>>0>>vertical three>>1>>video one>>", "", "https://example.org/one.mp4",
    ]  # fmt: skip
    assert videos[key("video", "v2")][3] == "1>>chapter one>>0>>sequential one>>0>>>>0>>video two>>"
    assert videos[key("video", "orphan")][3:] == ["", "", ""]
    links = read(tmp_path, "course_video")
    assert ["4176302298990310613", course, key("video", "f50cc021e7b84729b53aabf23017cd13")] in links
    (row,) = read(tmp_path, "courses")
    assert row[1:5] == [course, "Course", "2013_Q0_R0", "org"]


def test_grades_come_from_certificates_or_from_the_course_grades(sample, tmp_path):
    export(tmp_path)
    certificates = read(tmp_path, "grades")
    stored = GeneratedCertificate.objects.all()
    assert sorted((row[0], row[4]) for row in certificates) == sorted((str(c.pk), c.grade) for c in stored)
    export(tmp_path / "cg", "--grades-from", "course-grades", "--course", COURSE)
    grades = read(tmp_path / "cg", "grades")
    stored = PersistentCourseGrade.objects.filter(course_id=COURSE)
    assert sorted(row[0] for row in grades) == sorted(str(g.pk) for g in stored)
    assert {row[4] for row in grades} == {f"{g.percent_grade:.2f}" for g in stored}


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(CommandError, match="--course 'nonsense' is not a course key"):
        export(tmp_path, "--course", "nonsense")
    (tmp_path / "file").write_text("")
    with pytest.raises(CommandError, match="cannot create it"):
        export(tmp_path / "file" / "out")


#: The original import_vismooc_to_moocdb.sql (MOOC-Learner-Curated), after its preamble.
ORIGINAL_SCRIPT = """
CREATE TABLE IF NOT EXISTS courses (
    _id varchar(255) NOT NULL, original_id varchar(255) NOT NULL, name varchar(255) NOT NULL,
    year varchar(255) NOT NULL, org varchar(255) NOT NULL, instructor varchar(255) NOT NULL,
    description varchar(255) NOT NULL, start_date datetime NOT NULL, end_date datetime NOT NULL,
    course_url varchar(2083) NOT NULL, image_url varchar(2083) NOT NULL, PRIMARY KEY (_id));
CREATE TABLE IF NOT EXISTS course_video (
    _id varchar(255) NOT NULL, course_id varchar(255) NOT NULL, video_id varchar(255) NOT NULL,
    PRIMARY KEY (_id));
CREATE TABLE IF NOT EXISTS videos (
    _id varchar(255) NOT NULL, original_id varchar(255) NOT NULL, name varchar(255) NOT NULL,
    section varchar(255) NOT NULL, description varchar(255) NOT NULL, url varchar(255) NOT NULL,
    PRIMARY KEY (_id));
CREATE TABLE IF NOT EXISTS enrollments (
    _id varchar(255) NOT NULL, user_id varchar(11) NOT NULL, course_id varchar(255) NOT NULL,
    timestamp datetime NOT NULL, action TINYINT NOT NULL, PRIMARY KEY (_id));
CREATE TABLE IF NOT EXISTS forum (
    _id varchar(255) NOT NULL, original_id varchar(255) NOT NULL, course_id varchar(255) NOT NULL,
    author_id varchar(255) NOT NULL, created_at datetime NOT NULL, updated_at datetime NOT NULL,
    body LONGTEXT NOT NULL, type varchar(255) NOT NULL, title MEDIUMTEXT NOT NULL,
    thread_type varchar(255) NOT NULL, comment_thread_id varchar(255) NOT NULL,
    parent_id varchar(255) NOT NULL, PRIMARY KEY (_id));
CREATE TABLE IF NOT EXISTS grades (
    _id varchar(255) NOT NULL, user_id varchar(11) NOT NULL, course_id varchar(255) NOT NULL,
    timestamp datetime NOT NULL, grade varchar(5) NOT NULL, PRIMARY KEY (_id));
CREATE TABLE IF NOT EXISTS users (
    _id varchar(255) NOT NULL, original_id varchar(11) NOT NULL, username varchar(30) NOT NULL,
    name varchar(255) NOT NULL, language varchar(255) NOT NULL, location varchar(255) NOT NULL,
    birth_date varchar(11) NOT NULL, education_level varchar(6) NOT NULL, bio LONGTEXT NOT NULL,
    gender varchar(6) NOT NULL, country varchar(2) NOT NULL, PRIMARY KEY (_id));
""" + "".join(
    f"LOAD DATA local INFILE 'MOOCDB_DIR/{table}.csv'\nIGNORE INTO TABLE {table}\n"
    "FIELDS TERMINATED BY ',' ENCLOSED BY '\"';\n"
    for table in ("courses", "course_video", "videos", "enrollments", "forum", "grades", "users")
)


@pytest.fixture
def moocdb(request):
    """A scratch database on the MariaDB server, dropped afterwards; yields its name."""
    name = f"moocdb_test_{os.getpid()}_{request.node.name[-20:].replace('[', '_').replace(']', '')}"

    def drop():
        connection = connect()
        connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.close()

    drop()
    yield name
    drop()


def connect(database=None):
    return server_connection(database, charset="utf8mb4")


def run_script(script, *, database=None):
    """Run ``script`` with the mysql client on the suite's own server, as a MOOCdb user would."""
    server = settings.DATABASES["default"]
    command = [
        "mysql",
        "--local-infile=1",
        "--protocol=tcp",
        f"-h{server['HOST']}",
        f"-P{server['PORT'] or 3306}",
        f"-u{server['USER']}",
        "--default-character-set=utf8mb4",
    ]
    if server["PASSWORD"]:
        command.append(f"-p{server['PASSWORD']}")
    if database:
        command.append(database)
    subprocess.run(command, input=script.encode(), check=True, capture_output=True)


def tricky_data():
    user = UserFactory(username="tricky", profile=False)
    profile = UserProfileFactory(user=user, name="Jos\u00e9 \U0001f600", goals="\\".join(TRICKY))
    CourseEnrollmentFactory(user=user, course_id=COURSE)
    for number, text in enumerate(TRICKY):
        ForumPost.objects.create(
            post_id=f"{number:024x}", post_type="Comment", course_id=COURSE, author_id=str(user.pk),
            body=text, title=text, comment_thread_id="c" * 24,
        )  # fmt: skip
    return user, profile


@pytest.mark.mariadb
def test_round_trip_through_the_written_script_into_mariadb(sample, tmp_path, moocdb):
    user, profile = tricky_data()
    export(tmp_path, "--database", moocdb)
    run_script((tmp_path / "import_vismooc_to_moocdb.sql").read_text())
    cursor = connect(moocdb).cursor()
    cursor.execute("SELECT original_id, body, title, created_at FROM forum WHERE course_id = %s", [COURSE])
    loaded = {row[0]: row[1:] for row in cursor.fetchall()}
    for post in ForumPost.objects.filter(course_id=COURSE):
        body, title, created = loaded[post.post_id]
        assert (body, title) == (post.body, post.title), post.post_id
        # A post without a date loads as MySQL's zero date, which MySQLdb reads as None.
        expected = None if post.created_at is None else post.created_at.replace(tzinfo=None, microsecond=0)
        assert created == expected, post.post_id
    cursor.execute("SELECT username, name, bio, birth_date FROM users WHERE original_id = %s", [str(user.pk)])
    assert cursor.fetchone() == (anonymize("tricky"), anonymize(profile.name), profile.goals, "1994")
    for table in TABLES:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        assert cursor.fetchone()[0] == len(read(tmp_path, table)), table


@pytest.mark.mariadb
def test_the_original_scripts_ddl_loads_the_same_csvs(sample, tmp_path, moocdb):
    user, profile = tricky_data()
    export(tmp_path)
    connection = connect()
    connection.cursor().execute(f"CREATE DATABASE `{moocdb}` CHARACTER SET utf8mb4")
    connection.close()
    run_script(
        "SET @@global.local_infile = 1;" + ORIGINAL_SCRIPT.replace("MOOCDB_DIR", str(tmp_path)),
        database=moocdb,
    )
    cursor = connect(moocdb).cursor()
    for table in TABLES:  # every row of every file loads
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        assert cursor.fetchone()[0] == len(read(tmp_path, table)), table
    cursor.execute("SELECT original_id, body FROM forum")
    loaded = dict(cursor.fetchall())
    assert all(loaded[p.post_id] == p.body for p in ForumPost.objects.filter(course_id=COURSE))
    cursor.execute("SELECT username, bio FROM users WHERE original_id = %s", [str(user.pk)])
    # The original's varchar(30) cuts the hash (the written script's varchar(40) does not).
    assert cursor.fetchone() == (anonymize("tricky")[:30], profile.goals)


def test_enrollment_grade_and_forum_columns_map_as_the_original(sample, tmp_path):
    from edx_schema.models import CourseEnrollment

    export(tmp_path)
    enrollment = CourseEnrollment.objects.filter(course_id=COURSE).order_by("pk").first()
    rows = {row[0]: row for row in read(tmp_path, "enrollments")}
    assert rows[str(enrollment.pk)] == [
        str(enrollment.pk), str(enrollment.user_id), COURSE,
        enrollment.created.strftime("%Y-%m-%d %H:%M:%S"), "1" if enrollment.is_active else "0",
    ]  # fmt: skip
    certificate = GeneratedCertificate.objects.order_by("pk").first()
    rows = {row[0]: row for row in read(tmp_path, "grades")}
    assert rows[str(certificate.pk)] == [
        str(certificate.pk), str(certificate.user_id), str(certificate.course_id),
        certificate.created_date.strftime("%Y-%m-%d %H:%M:%S"), certificate.grade,
    ]  # fmt: skip
    forum = {row[1]: row for row in read(tmp_path, "forum")}
    comment = ForumPost.objects.get(course_id=COURSE, post_type="Comment")
    assert forum[comment.post_id][2:] == [
        COURSE, comment.author_id, "2013-12-19 20:10:35", "2013-12-19 20:10:35", comment.body,
        "Comment", "", "", comment.comment_thread_id, "",
    ]  # fmt: skip
    thread = ForumPost.objects.get(course_id=COURSE, post_type="CommentThread")
    assert forum[thread.post_id][7:10] == ["CommentThread", 'Problem 2, "part b"?', "question"]
