"""Who sees which recruitment rows (lle_portal/scoping.py): a round belongs to
the LAs it covers, and an application, its assessments, verifications and
emailed links to its round's LAs. An LLE belongs to their school's LA and to
the LAs of the round that designated them."""

from __future__ import annotations

from django.db.models import Q

from . import models


def _my_rounds(user):
    # A subquery: a round covering two of the adviser's LAs is one row.
    return models.ApplicationRound.objects.filter(user.in_my_las("local_authorities")).values("pk")


def rules() -> dict:
    return {
        models.ApplicationRound: lambda user: Q(pk__in=_my_rounds(user)),
        models.Application: lambda user: Q(round__in=_my_rounds(user)),
        models.RefereeNomination: lambda user: Q(application__round__in=_my_rounds(user)),
        models.Verification: lambda user: Q(application__round__in=_my_rounds(user)),
        models.Assessment: lambda user: Q(application__round__in=_my_rounds(user)),
        models.ApplicationReminder: lambda user: Q(application__round__in=_my_rounds(user)),
        models.LinkRequest: lambda user: Q(application__round__in=_my_rounds(user)),
        models.LinkRequestChaser: lambda user: Q(request__application__round__in=_my_rounds(user)),
        models.TrainingCohort: lambda user: Q(round__in=_my_rounds(user)),
        # A round's contacts (issue 15) belong to the round's LAs, like the round.
        models.RoundContact: lambda user: Q(round__in=_my_rounds(user)),
        models.LLEProfile: lambda user: (
            user.in_my_las("school__local_authority") | Q(application__round__in=_my_rounds(user))
        ),
        # The DfE's national floor standards: the same for every LA.
        models.FloorStandard: lambda user: Q(),
    }
