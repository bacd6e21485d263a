"""Foreign keys with no database constraint, for ids that the data may name without the row.

The user column of tables whose users need not be in the package's ``auth_user`` file, and the
links between ORA tables, whose targets are often in no file (the note's rule 2).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


def unconstrained_link(
    to: str | type[models.Model],
    *,
    help_text: str,
    related_name: str,
    null: bool = False,
    db_index: bool = True,
    one_to_one: bool = False,
) -> models.ForeignKey:
    """A foreign key (or, with ``one_to_one``, a unique one) with no database constraint.

    The id is kept as exported and dangling ids can be counted, never refused; ``DO_NOTHING``
    because deleting a target must not reach rows the database does not link to it.
    ``db_index=False`` where a unique or composite key already leads with the column.
    """
    field = models.OneToOneField if one_to_one else models.ForeignKey
    return field(
        to,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=db_index,
        null=null,
        blank=null,
        related_name=related_name,
        help_text=f"{help_text}; no database constraint.",
    )


def unconstrained_user(*, help_text: str, db_index: bool = True, null: bool = False) -> models.ForeignKey:
    """A foreign key to ``auth_user`` with no database constraint and no reverse accessor.

    For rows whose user may be missing from the data (staff, retired or unexported learners):
    the id is kept as exported and dangling ids can be counted, never refused. ``db_index=False``
    where a unique or composite key already leads with ``user_id``; ``null=True`` where a row
    may name no user at all.
    """
    return unconstrained_link(
        settings.AUTH_USER_MODEL,
        help_text=f"{help_text} (auth_user.id)",
        related_name="+",
        db_index=db_index,
        null=null,
    )
