"""A project that keeps Django's own AdminSite: edx-schema's admins registered on it, at /plain/."""

from django.contrib import admin
from django.urls import path

site = admin.AdminSite(name="plain")
for model, model_admin in admin.site._registry.items():
    site.register(model, type(model_admin))

urlpatterns = [
    path("admin/", admin.site.urls),
    path("plain/", site.urls),
]
