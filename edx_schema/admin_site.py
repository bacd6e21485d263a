"""An admin index that groups edx-schema's tables by LMS area, in the LMS's order.

Each table's ``ModelAdmin`` names its area (``area = Area.GRADES``); :class:`AreaAdminSite` splits
the edx_schema app of Django's index and sidebar into one group per area, in :class:`Area`'s
order, where the app was. The models, their links and their permissions are Django's own: a
user sees a group only if they may see one of its tables. An edx_schema table registered by a
project's own ``ModelAdmin`` (which names no area) goes to the group :data:`UNSORTED`.

A project opts in by installing :class:`AdminConfig` in place of ``django.contrib.admin``; with
Django's own ``admin.site`` the tables are listed as one app, and everything else is the same.

This module is outside :mod:`edx_schema.admin` on purpose: Django imports ``default_site`` before
the admin modules register their tables, and importing that package registers them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.translation import gettext

APP_LABEL = "edx_schema"


class Area(enum.Enum):
    """The LMS areas of the admin index, in its order; the value is the group's heading."""

    USERS = "Users and profiles"
    ENROLLMENT = "Enrollment"
    COURSEWARE = "Courseware"
    GRADES = "Grades"
    CERTIFICATES = "Certificates"
    ORA = "ORA submissions"
    FORUM = "Forum"
    COURSE_CONTENT = "Course content"
    TRACKING_LOGS = "Tracking logs"
    IMPORTS = "Imports"


#: The group of an edx_schema table whose ModelAdmin names no area (a project's own admin).
UNSORTED = "Other edx-schema tables"


def group_by_area(app_list: list[dict[str, Any]], registry: Mapping[type, Any]) -> list[dict[str, Any]]:
    """Django's ``app_list`` with each area's tables in a group of their own, ``registry``'s
    ModelAdmins saying which.

    Tables of any app whose admin names an area join it (``auth_user``: Users and profiles). The
    groups, in :class:`Area`'s order and then :data:`UNSORTED`, take the edx_schema app's place
    (or the first place a table left); the apps left with no table are dropped.
    """
    members: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    kept: list[dict[str, Any]] = []
    place: int | None = None
    for app in app_list:
        models = []
        for model in app["models"]:
            group = _group_of(model["model"], app["app_label"], registry)
            if group is None:
                models.append(model)
            else:
                members.setdefault(group, []).append((app, model))
        if len(models) < len(app["models"]) and (place is None or app["app_label"] == APP_LABEL):
            place = len(kept)
        if models:
            kept.append({**app, "models": models})
    if place is None:
        return app_list
    order = [area.value for area in Area] + [UNSORTED]
    groups = [_group(name, members[name]) for name in order if name in members]
    return kept[:place] + groups + kept[place:]


def _group_of(model: type, app_label: str, registry: Mapping[type, Any]) -> str | None:
    area = getattr(registry.get(model), "area", None)
    if isinstance(area, Area):
        return area.value
    return UNSORTED if app_label == APP_LABEL else None


def _group(name: str, members: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """One area's entry of the app list: its heading links to the app of its tables (edx_schema's
    app index if it holds one of its tables)."""
    home = next((app for app, _model in members if app["app_label"] == APP_LABEL), members[0][0])
    return {
        "name": name,
        "app_label": home["app_label"],
        "app_url": home["app_url"],
        "has_module_perms": True,
        "models": sorted((model for _app, model in members), key=lambda model: model["name"]),
    }


class AreaAdminSite(admin.AdminSite):
    """Django's admin site, whose index, sidebar and edx_schema app page group the tables by area."""

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if app_label not in (None, APP_LABEL):
            return app_list  # another app's page: that app's tables, as Django lists them
        return group_by_area(app_list, self._registry)

    def app_index(self, request, app_label, extra_context=None):
        if app_label == APP_LABEL:  # titled by the app, not by its first group
            name = apps.get_app_config(app_label).verbose_name
            title = gettext("%(app)s administration") % {"app": name}
            extra_context = {"title": title, "app_name": name, **(extra_context or {})}
        return super().app_index(request, app_label, extra_context)


class AdminConfig(DjangoAdminConfig):
    """``django.contrib.admin`` with :class:`AreaAdminSite` as ``admin.site``.

    In INSTALLED_APPS: ``"edx_schema.admin_site.AdminConfig"`` instead of ``"django.contrib.admin"``.
    """

    default_site = "edx_schema.admin_site.AreaAdminSite"
