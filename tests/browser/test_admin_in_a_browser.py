"""The admin in a real browser: log in, browse every table, search, override, learner and course."""

from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from edx_schema.models import GradingPolicy, PersistentSubsectionGrade, PersistentSubsectionGradeOverride
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "universityx-2024-11-17.zip"
COURSE = "course-v1:UniversityX+CS-101x+3T2024"


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


MODELS = [model for model in admin.site._registry if model._meta.app_label == "edx_schema" or model is User]


@pytest.fixture
def site(live_server):
    call_command("import_package", str(FIXTURE), verbosity=0)
    call_command("recompute_grades", "--all", verbosity=0)
    User.objects.create_superuser("staff", "staff@example.org", PASSWORD)
    return live_server.url


def log_in(page, site):
    page.goto(f"{site}/admin/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_an_anonymous_visitor_is_sent_to_the_login_page_everywhere(site, page):
    paths = [admin_url(model, "changelist") for model in MODELS]
    paths += [reverse("admin:edx_schema_learner", args=[11]), "/admin/"]
    for path in paths:
        page.goto(site + path)
        assert "/admin/login/" in page.url, path
        assert page.locator("#id_username").is_visible()


def test_every_table_has_a_list_and_a_change_page(site, page, screenshot):
    log_in(page, site)
    for model in MODELS:
        page.goto(site + admin_url(model, "changelist"))
        assert page.locator("#changelist").is_visible(), model
        first = model.objects.order_by("pk").first()
        if first is not None:
            page.goto(
                site
                + reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[first.pk])
            )
            assert page.locator("#content-main").is_visible(), model
            assert "Server Error" not in page.content()
    page.goto(site + reverse("admin:edx_schema_studentmodule_changelist"))
    screenshot("studentmodule")


def test_search_a_username(site, page, screenshot):
    log_in(page, site)
    page.goto(site + reverse("admin:auth_user_changelist"))
    page.fill("#searchbar", "hiro_1")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    listed = page.locator("#result_list").inner_text()
    assert "hiro_11" in listed
    assert "ada_" not in listed.lower()
    screenshot("users")


def test_create_an_override_with_a_reason_and_see_it_in_the_history(site, page, screenshot):
    grade = PersistentSubsectionGrade.objects.get(course_id=COURSE, user_id=11, usage_key__endswith="hw2")
    log_in(page, site)
    page.goto(site + reverse("admin:edx_schema_persistentsubsectiongradeoverride_add") + f"?grade={grade.pk}")
    page.fill("#id_earned_graded_override", "4")
    page.fill("#id_possible_graded_override", "4")
    page.click("input[name=_save]")
    # No reason: refused (by the browser, or by the form if the browser let it through).
    page.wait_for_selector(".errornote, #id_override_reason:invalid")
    assert not PersistentSubsectionGradeOverride.objects.exists()
    page.fill("#id_override_reason", "Regrade after appeal")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    assert "0.92 Pass" in page.locator(".messagelist").inner_text()  # the course grade followed
    override = PersistentSubsectionGradeOverride.objects.get(grade=grade)
    page.goto(
        site + reverse("admin:edx_schema_persistentsubsectiongradeoverride_history", args=[override.pk])
    )
    history = page.locator("#content-main").inner_text()
    assert "Regrade after appeal" in history
    assert "staff" in history
    screenshot("override-history")


def test_the_learner_page_and_the_course_page(site, page, screenshot):
    log_in(page, site)
    page.goto(site + reverse("admin:edx_schema_learner", args=[11]))
    assert "hiro_11" in page.locator("#content").inner_text()
    assert page.locator("#subsection-grades tbody tr").count() >= 4
    screenshot("learner")
    page.click("#modules a")
    page.wait_for_selector("#result_list")
    assert "UniversityX" in page.locator("#result_list").inner_text()
    policy = GradingPolicy.objects.get(course_id=COURSE)
    page.goto(site + reverse("admin:edx_schema_course", args=[policy.pk]))
    assert page.locator("#distribution tbody tr").count() >= 1
    assert "passing" in page.locator("#pass-rate").inner_text()
    page.click("input[name=recompute]")
    page.wait_for_selector(".messagelist")
    assert "20 learners" in page.locator(".messagelist").inner_text()
    screenshot("course")


def test_the_roles_cohorts_and_teams_sections_and_their_links(site, page, screenshot):
    from tests.admin.section_rows import with_course_rows, with_learner_rows, without_section_rows

    without_section_rows()  # the sample's own rows of those tables: the counts below are the test's
    with_learner_rows()
    with_course_rows()
    log_in(page, site)
    page.goto(site + reverse("admin:edx_schema_learner", args=[11]))
    assert "Team Rocket" in page.locator("#teams").inner_text()
    assert "pt-br" in page.locator("#languages").inner_text()
    screenshot("learner-sections")
    policy = GradingPolicy.objects.get(course_id=COURSE)
    page.goto(site + reverse("admin:edx_schema_course", args=[policy.pk]))
    assert "the whole org" in page.locator("#staff").inner_text()
    screenshot("course-sections")
    page.locator("#cohort-sizes tr", has_text="Night owls").locator("a").click()
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 7
