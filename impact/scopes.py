"""Who sees which survey rows (lle_portal/scoping.py): a survey and its
questions belong to its LA. Invitations, reminders and answers have no rule on
purpose: who answered, and what, is nobody's to read row by row, so only a
superuser sees anything about them (their events and emails included)."""

from __future__ import annotations

from . import models


def rules() -> dict:
    return {
        models.Survey: "local_authority",
        models.Question: "survey__local_authority",
    }
