"""Member and package names: what a data-package file is, from its name alone."""

import datetime

import pytest

from edx_schema.package.names import course_entity, member_table, parse_member_name, split_package_name

ENTITY = "MITx-6.00.1-x-1T2014"


@pytest.mark.parametrize(
    ("table", "shorter"),
    [
        ("auth_userprofile", "auth_user"),
        ("teams_membership", "teams"),
        ("wiki_articlerevision", "wiki_article"),
        ("course_structure", "course"),
    ],
)
def test_a_table_name_is_never_mistaken_for_its_own_prefix(table, shorter):
    longer = parse_member_name(f"{ENTITY}-{table}-prod-analytics.sql")
    assert (longer.table, longer.entity) == (table, ENTITY)
    short = parse_member_name(f"{ENTITY}-{shorter}-prod-analytics.sql")
    assert (short.table, short.entity) == (shorter, ENTITY)


def test_course_numbers_and_runs_may_contain_dashes_and_dots():
    name = parse_member_name("MITx-6.00.1-x-1T2014-auth_user-prod-analytics.sql")
    assert name.kind == "table"
    assert name.table == "auth_user"
    assert name.entity == "MITx-6.00.1-x-1T2014"
    assert name.site == "prod"
    assert name.loaded
    assert not name.encrypted
    assert not name.failed


def test_a_course_run_that_looks_like_a_table_word_stays_in_the_entity():
    name = parse_member_name("HarvardX-CS50-user-2016-auth_userprofile-edge-analytics.sql")
    assert (name.entity, name.table, name.site) == ("HarvardX-CS50-user-2016", "auth_userprofile", "edge")


@pytest.mark.parametrize("site", ["prod", "edge", "prod-edge"])
def test_each_site_token_is_read_whole(site):
    name = parse_member_name(f"{ENTITY}-student_courseenrollment-{site}-analytics.sql")
    assert name.site == site
    assert name.entity == ENTITY
    assert name.table == "student_courseenrollment"


def test_legacy_prod_edge_is_not_read_as_edge_with_prod_in_the_table():
    name = parse_member_name("MITx-6.002x-2012_Fall-auth_user-prod-edge-analytics.sql")
    assert name.site == "prod-edge"
    assert name.table == "auth_user"
    assert name.entity == "MITx-6.002x-2012_Fall"
    assert name.loaded


def test_an_unknown_site_makes_the_name_unknown():
    name = parse_member_name(f"{ENTITY}-auth_user-staging-analytics.sql")
    assert name.kind == "unknown"
    assert not name.loaded


def test_gpg_suffix_marks_the_member_encrypted_and_is_otherwise_transparent():
    name = parse_member_name(f"{ENTITY}-auth_user-prod-analytics.sql.gpg")
    assert name.encrypted
    assert not name.failed
    assert (name.kind, name.table, name.entity, name.site) == ("table", "auth_user", ENTITY, "prod")
    assert name.loaded
    assert name.path == f"{ENTITY}-auth_user-prod-analytics.sql.gpg"


@pytest.mark.parametrize("suffix", [".failed", ".failed.gpg"])
def test_failed_members_are_recognised_but_never_loaded(suffix):
    name = parse_member_name(f"{ENTITY}-courseware_studentmodule-prod-analytics.sql{suffix}")
    assert name.failed
    assert name.encrypted == suffix.endswith(".gpg")
    assert name.kind == "table"
    assert name.table == "courseware_studentmodule"
    assert name.entity == ENTITY
    assert not name.loaded


def test_ora_submissions_score_in_the_ora_folder_is_a_loaded_table():
    path = f"ora/{ENTITY}-submissions_score-prod-analytics.sql"
    name = parse_member_name(path)
    assert name.path == path
    assert (name.kind, name.table, name.entity, name.site) == ("table", "submissions_score", ENTITY, "prod")
    assert name.loaded


@pytest.mark.parametrize(
    "table", ["assessment_assessment", "workflow_assessmentworkflowstep", "submissions_scoresummary"]
)
def test_ora_tables_are_loaded(table):
    name = parse_member_name(f"ora/{ENTITY}-{table}-prod-analytics.sql")
    assert (name.kind, name.table, name.entity, name.site) == ("table", table, ENTITY, "prod")
    assert name.loaded


def test_ora_tables_edx_schema_does_not_know_are_tables_that_are_not_loaded():
    name = parse_member_name(f"ora/{ENTITY}-assessment_staffworkflow-prod-analytics.sql")
    assert (name.kind, name.table, name.entity) == ("table", "assessment_staffworkflow", ENTITY)
    assert not name.loaded


@pytest.mark.parametrize(
    ("token", "table"), [("teams", "teams_courseteam"), ("teams_membership", "teams_courseteammembership")]
)
def test_team_files_are_named_differently_from_their_tables(token, table):
    """Both the exporter's token and the table's own name are read as the member's token."""
    for written in (token, table):
        name = parse_member_name(f"{ENTITY}-{written}-prod-analytics.sql")
        assert (name.table, name.entity, name.loaded) == (token, ENTITY, True)
    assert member_table(token) == table


def test_a_table_no_package_has_is_not_loaded():
    name = parse_member_name(f"{ENTITY}-wiki_urlpath-prod-analytics.sql")
    assert (name.kind, name.table, name.loaded) == ("unknown", None, False)


@pytest.mark.parametrize(
    ("file", "site"),
    [(f"{ENTITY}-prod.mongo", "prod"), (f"{ENTITY}-edge.mongo", "edge"), (f"{ENTITY}.mongo", "prod")],
)
def test_forum_dumps(file, site):
    name = parse_member_name(file)
    assert (name.kind, name.entity, name.site, name.table) == ("forum", ENTITY, site, None)
    assert not name.loaded


def test_encrypted_forum_dump():
    name = parse_member_name(f"{ENTITY}-prod.mongo.gpg")
    assert (name.kind, name.entity, name.site, name.encrypted) == ("forum", ENTITY, "prod", True)


@pytest.mark.parametrize(
    "file",
    [
        "mitx-prod-events-2014-01-01.log.gz.gpg",
        "mitx-edge-events-2014-01-01.log.gz.gpg",
        "mcgillx-edx-events-2015-03-31.log.gz",
        "mitx-prod-2014-01-01.log",
    ],
)
def test_event_logs(file):
    name = parse_member_name(file)
    assert name.kind == "events"
    assert name.encrypted == file.endswith(".gpg")
    assert not name.loaded


def test_email_opt_in_csv():
    name = parse_member_name("mitx-email_opt_in-prod-analytics.csv.gpg")
    assert (name.kind, name.site, name.encrypted) == ("email_opt_in", "prod", True)
    assert not name.loaded


def test_another_csv_is_unknown():
    assert parse_member_name("mitx-something_else-prod-analytics.csv").kind == "unknown"


def test_course_structure_json():
    name = parse_member_name(f"{ENTITY}-course_structure-prod-analytics.json")
    assert (name.kind, name.table, name.entity, name.site) == (
        "course_structure",
        "course_structure",
        ENTITY,
        "prod",
    )
    assert not name.loaded


def test_course_olx_tarball():
    name = parse_member_name(f"{ENTITY}-course-prod-analytics.xml.tar.gz.gpg")
    assert (name.kind, name.table, name.entity, name.site) == ("course_olx", "course", ENTITY, "prod")
    assert name.encrypted
    assert not name.loaded


@pytest.mark.parametrize(
    "file",
    [
        f"{ENTITY}-auth_user-prod-analytics.json",  # a table with the structure's extension
        f"{ENTITY}-course_structure-prod-analytics.sql",  # the structure as if it were a table
        f"{ENTITY}-course-prod-analytics.sql",
        f"{ENTITY}-course_structure-prod-analytics.xml.tar.gz",
    ],
)
def test_a_known_name_with_the_wrong_extension_is_unknown(file):
    name = parse_member_name(file)
    assert name.kind == "unknown"
    assert not name.loaded


@pytest.mark.parametrize(
    "file",
    [
        "README.txt",
        "manifest.json",
        f"{ENTITY}-auth_user-prod.sql",  # no -analytics
        f"{ENTITY}-no_such_table-prod-analytics.sql",
        "auth_user-prod-analytics.sql",  # no entity at all
        "-auth_user-prod-analytics.sql",  # an empty entity
        f"{ENTITY}-auth_user-prod-analytics.sql.zip",
    ],
)
def test_unknown_names(file):
    name = parse_member_name(file)
    assert name.kind == "unknown"
    assert name.table is None
    assert name.entity is None
    assert not name.loaded


def test_course_entity_joins_key_parts_with_dashes():
    assert course_entity(org="MITx", course="6.00.1x", run="1T2014") == "MITx-6.00.1x-1T2014"


def test_course_entity_replaces_each_non_ascii_character():
    assert course_entity(org="edX", course="DemoX", run="Démo_Course") == "edX-DemoX-D_mo_Course"
    assert course_entity(org="ÉcoleX", course="数学", run="2024") == "_coleX-__-2024"


def test_course_entity_names_the_members_of_that_course():
    entity = course_entity(org="edX", course="DemoX", run="Démo_Course")
    name = parse_member_name(f"{entity}-auth_user-prod-analytics.sql")
    assert name.entity == "edX-DemoX-D_mo_Course"


def test_split_package_name():
    assert split_package_name("mitx-2013-10-27") == ("mitx", datetime.date(2013, 10, 27))
    assert split_package_name("university-x-2024-01-07") == ("university-x", datetime.date(2024, 1, 7))


@pytest.mark.parametrize(
    "name",
    [
        "mitx-2013-02-30",  # no such day
        "mitx-2013-13-01",
        "mitx",
        "2013-10-27",  # no org
        "-2013-10-27",
        "mitx-2013-10-27.zip",
        "mitx-13-10-27",
        "mitx-2013-10-27-extra",
        "mitx_2013-10-27",
    ],
)
def test_split_package_name_refuses_other_names(name):
    assert split_package_name(name) is None
