"""A version number of the brokerage data, bumped whenever a deployment, record
of visit, support need, colleague or LLE is saved or deleted. The adviser's
overview keeps its rendered lists in the cache under this version, so a change
shows at once; writes that bypass signals (QuerySet.update) show within
DEPLOYMENTS_OVERVIEW_CACHE_SECONDS."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from lle_portal import data_version

VERSION_KEY = "deployments:data-version"


def overview_version() -> int:
    return data_version.current(VERSION_KEY)


def _bump(**kwargs) -> None:
    # After commit: a page rendered before the commit must not be kept under the new version.
    data_version.bump(VERSION_KEY)


def connect() -> None:
    from applications.models import LLEProfile

    from .models import Deployment, DeploymentColleague, SupportNeed, VisitRecord

    for model in (Deployment, DeploymentColleague, SupportNeed, VisitRecord, LLEProfile):
        post_save.connect(_bump, sender=model, dispatch_uid=f"overview-version-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"overview-version-delete-{model.__name__}")
