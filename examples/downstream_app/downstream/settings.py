"""Settings of the example downstream project: only what any project has, plus edx_schema."""

import os

import dj_database_url

SECRET_KEY = "example-only"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "edx_schema",
    "grade_reports",
]
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", "sqlite:///example.sqlite3"))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}
    DATABASES["default"]["TEST"] = {"NAME": "test_edx_schema_example", "CHARSET": "utf8mb4"}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
