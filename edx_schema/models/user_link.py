"""The user column of tables whose users need not be in the package's ``auth_user`` file."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def unconstrained_user(*, help_text: str, db_index: bool = True, null: bool = False) -> models.ForeignKey:
    """A foreign key to ``auth_user`` with no database constraint and no reverse accessor.

    For rows whose user may be missing from the data (staff, retired or unexported learners):
    the id is kept as exported and dangling ids can be counted, never refused. ``db_index=False``
    where a unique or composite key already leads with ``user_id``; ``null=True`` where a row
    may name no user at all.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=db_index,
        null=null,
        blank=null,
        related_name="+",
        help_text=f"{help_text} (auth_user.id); no database constraint.",
    )
