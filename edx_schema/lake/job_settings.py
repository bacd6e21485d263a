"""Django settings for the Spark job's processes (driver and executors): the app's models, no
database.

The job decodes package members with the importer's own converters, which are made from the
models and a backend's operations; they never open a connection. The SQLite backend is named
because Django needs one: ``:memory:`` is never created, and no row is written anywhere but the
lake.
"""

SECRET_KEY = "edx-schema-lake-job"  # nothing is signed: the job serves no requests
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "simple_history",
    "edx_schema",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"
