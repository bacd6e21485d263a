"""The admin index groups edx-schema's tables by LMS area, in the LMS's order.

Each table's ModelAdmin names its area (``edx_schema.admin_site.Area``); the groups keep Django's
links and permissions. A project on Django's own AdminSite gets one edx_schema app instead.
"""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from edx_schema.admin.base import LargeTableAdmin
from edx_schema.admin_site import UNSORTED, Area, AreaAdminSite
from edx_schema.models import CourseEnrollment, ForumPost
from tests.admin.conftest import staff_client

pytestmark = pytest.mark.django_db

#: The issue's areas, in its order, with the tables each lists (by verbose name, as the index shows them).
AREAS = {
    "Users and profiles": [
        "Anonymous user ids",
        "E-mail opt-ins",
        "Language proficiencies",
        "User course tags",
        "User id map",
        "User profiles",
        "Users",
        "Verification checkpoints",
        "Verification statuses",
    ],
    "Enrollment": [
        "Cohort memberships",
        "Course access roles",
        "Course enrollments",
        "Course user group users",
        "Course user groups",
        "Forum role members",
        "Forum roles",
    ],
    "Courseware": ["Student modules"],
    "Grades": [
        "Persistent course grades",
        "Persistent subsection grades",
        "Subsection grade overrides",
        "Visible blocks",
    ],
    "Certificates": ["Credit courses", "Credit eligibilities", "Generated certificates"],
    "ORA submissions": [
        "AI classifier sets",
        "AI classifiers",
        "AI grading workflows",
        "AI training workflow examples",
        "AI training workflows",
        "Assessment feedback",
        "Assessment feedback assessments",
        "Assessment feedback options",
        "Assessment feedback selected options",
        "Assessment parts",
        "Assessment workflow steps",
        "Assessment workflows",
        "Assessments",
        "Peer workflow items",
        "Peer workflows",
        "Rubric criteria",
        "Rubric criterion options",
        "Rubrics",
        "Score summaries",
        "Scores",
        "Student items",
        "Student training workflow items",
        "Student training workflows",
        "Submissions",
        "Training example selected options",
        "Training examples",
    ],
    "Forum": ["Course team memberships", "Course teams", "Forum posts"],
    "Course content": [
        "Course blocks",
        "Course content blocks",
        "Grading policies",
        "Wiki article revisions",
        "Wiki articles",
    ],
    "Tracking logs": ["Tracking events", "Tracking-log files"],
    "Imports": ["Import records"],
}


def listed(response):
    """The index's (or app page's) groups, as (heading, [table, ...]) in the page's order."""
    assert response.status_code == 200
    text = response.content.decode()
    main = text.split('id="content-main"', 1)[1].split('id="footer"', 1)[0]
    return [
        (heading, re.findall(r'<th scope="row"[^>]*>\s*(?:<a href="[^"]*"[^>]*>)?([^<]+?)\s*<', table))
        for heading, table in re.findall(
            r"<caption>\s*<a[^>]*>([^<]+)</a>\s*</caption>(.*?)</table>", main, re.S
        )
    ]


def breadcrumbs(response):
    """The breadcrumbs' text, one space between words."""
    html = response.content.decode().split('class="breadcrumbs">', 1)[1].split("</div>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_index_lists_each_area_in_the_lms_order_with_its_tables(admin_client):
    groups = listed(admin_client.get(reverse("admin:index")))
    assert groups == [("Authentication and Authorization", ["Groups"]), *AREAS.items()]
    assert list(AREAS) == [area.value for area in Area]


def test_every_edx_schema_table_has_an_area_and_every_group_links_to_its_tables(admin_client):
    registered = {model for model in admin.site._registry if model._meta.app_label == "edx_schema"}
    request = RequestFactory().get("/")
    request.user = User.objects.get(username="admin")
    groups = admin.site.get_app_list(request)
    grouped = [model["model"] for group in groups if group["name"] in AREAS for model in group["models"]]
    assert sorted(grouped, key=str) == sorted(registered | {User}, key=str)
    for group in groups:
        assert admin_client.get(group["app_url"]).status_code == 200
        for model in group["models"]:
            assert admin_client.get(model["admin_url"]).status_code == 200, model["name"]


def test_a_staff_member_sees_only_the_groups_of_the_tables_they_may_view(client):
    staff_client(client, "edx_schema.view_persistentcoursegrade", "edx_schema.view_generatedcertificate")
    index = client.get(reverse("admin:index"))
    assert listed(index) == [
        ("Grades", ["Persistent course grades"]),
        ("Certificates", ["Generated certificates"]),
    ]
    assert client.get(reverse("admin:edx_schema_persistentcoursegrade_changelist")).status_code == 200
    assert client.get(reverse("admin:edx_schema_persistentsubsectiongrade_changelist")).status_code == 403


def test_a_group_of_another_apps_tables_links_to_that_app(client):
    staff_client(client, "auth.view_user")
    (group,) = client.get(reverse("admin:index")).context["app_list"]
    assert (group["name"], [model["name"] for model in group["models"]]) == ("Users and profiles", ["Users"])
    assert group["app_url"] == reverse("admin:app_list", args=["auth"])
    assert client.get(group["app_url"]).status_code == 200
    assert client.get(reverse("admin:app_list", args=["edx_schema"])).status_code == 404


def test_the_edx_schema_app_page_lists_its_areas_under_the_apps_name(admin_client):
    response = admin_client.get(reverse("admin:app_list", args=["edx_schema"]))
    users = [table for table in AREAS["Users and profiles"] if table != "Users"]  # auth_user: auth's
    areas = dict(AREAS, **{"Users and profiles": users})
    assert listed(response) == list(areas.items())
    assert response.context["title"] == "edX LMS learner data administration"
    assert breadcrumbs(response) == "Home &rsaquo; edX LMS learner data"


def test_another_apps_page_is_djangos(admin_client):
    response = admin_client.get(reverse("admin:app_list", args=["auth"]))
    assert listed(response) == [("Authentication and Authorization", ["Groups", "Users"])]


def test_the_sidebar_is_grouped_as_the_index(admin_client):
    page = admin_client.get(reverse("admin:edx_schema_courseenrollment_changelist"))
    assert [app["name"] for app in page.context["available_apps"]] == [
        "Authentication and Authorization",
        *AREAS,
    ]


def test_an_admin_of_edx_schema_that_names_no_area_is_refused_when_registered():
    site = AreaAdminSite(name="check")
    with pytest.raises(
        ImproperlyConfigured, match=r"EnrollmentAdmin names no area: set area to one of Area\.USERS"
    ):
        site.register(CourseEnrollment, type("EnrollmentAdmin", (LargeTableAdmin,), {}))


def test_a_projects_own_admin_of_an_edx_schema_table_is_listed_under_other_tables():
    site = AreaAdminSite(name="project")
    for model, model_admin in admin.site._registry.items():
        site.register(model, admin.ModelAdmin if model is ForumPost else type(model_admin))
    request = RequestFactory().get("/")
    request.user = User.objects.create_superuser("root", "root@example.org", "pw")
    names = [
        (group["name"], [model["name"] for model in group["models"]]) for group in site.get_app_list(request)
    ]
    assert names[-2:] == [("Imports", ["Import records"]), (UNSORTED, ["Forum posts"])]
    assert dict(names)["Forum"] == ["Course team memberships", "Course teams"]  # the forum's own table left


@pytest.mark.urls("tests.admin.plain_site_urls")
def test_on_djangos_own_admin_site_the_tables_are_one_app_and_every_page_works(admin_client):
    index = admin_client.get("/plain/")
    edx = [tables for heading, tables in listed(index) if heading == "edX LMS learner data"]
    assert edx == [sorted(table for area in AREAS.values() for table in area if table != "Users")]
    app = admin_client.get("/plain/edx_schema/")
    assert [heading for heading, _tables in listed(app)] == ["edX LMS learner data"]
    assert breadcrumbs(app) == "Home &rsaquo; edX LMS learner data"
    assert admin_client.get("/plain/edx_schema/persistentcoursegrade/").status_code == 200
