"""Django app configuration for edx-schema."""

from django.apps import AppConfig
from django.core import checks


class EdxSchemaConfig(AppConfig):
    name = "edx_schema"
    verbose_name = "edX LMS learner data"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks as edx_checks

        checks.register(edx_checks.check_user_model, checks.Tags.models)
        checks.register(edx_checks.check_mysql_settings, checks.Tags.database)
