"""Settings shared by every environment of the edx-schema project.

The database comes from ``DATABASE_URL`` (dj-database-url). Without it the project uses a
SQLite file inside the checkout. MySQL and MariaDB connections get utf8mb4, strict mode and
LOCAL INFILE unless the URL says otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "edx-schema-local-development-key-not-for-production")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    # django.contrib.admin, with an index that groups edx-schema's tables by LMS area.
    "edx_schema.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "edx_schema",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "settings.urls"
WSGI_APPLICATION = "settings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_url(url: str) -> dict[str, Any]:
    """Django DATABASES entry for ``url``, with the MySQL options edx-schema relies on."""
    database = dj_database_url.parse(url, conn_max_age=0)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        options = database.setdefault("OPTIONS", {})
        # An import holds SQLite's single write lock for one file at a time; another command
        # (recompute_grades, a second import) waits for it, up to a minute, instead of failing
        # at once. IMMEDIATE takes the lock when a transaction starts, so that the wait works
        # (a deferred reader that later writes would get "database is locked" straight away).
        options.setdefault("timeout", 60)
        options.setdefault("transaction_mode", "IMMEDIATE")
        # Write-ahead logging: readers (the admin) never wait for an import, and a commit costs
        # no fsync (one per file of a 10,000-file package took minutes). A kill -9 still loses
        # nothing committed; a power cut may lose the last commits, rows and import log alike.
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
    if database["ENGINE"] == "django.db.backends.mysql":
        options = database.setdefault("OPTIONS", {})
        options.setdefault("charset", "utf8mb4")
        # Strict mode makes an over-long or malformed value an error instead of a silent
        # truncation; LOCAL INFILE lets import_package bulk-load.
        options.setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
        options.setdefault("local_infile", 1)
        database["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return database


DATABASES = {
    "default": database_from_url(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}

# In a checkout the app's migrations live in the top-level migrations/ folder; the wheel maps
# that folder into edx_schema/migrations, so installed copies need no such setting.
MIGRATION_MODULES = {"edx_schema": "migrations"}

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"

# Research data: the admin never offers to revert an override to an old version.
SIMPLE_HISTORY_REVERT_DISABLED = True
