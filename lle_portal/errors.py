"""The one family of errors a service raises when the rules refuse a change.

Every app's error (`ApplicationError`, `ReferenceError`, `DeploymentError`,
`SurveyError`, `SchoolLinkError`, `PrivacyError`) is a `DomainError`: its message
is written for the person who tried, and `field` names the form field it is
about when there is one. Views and admin actions catch `DomainError` through
`lle_portal.service_calls` and `lle_portal.admin_actions`, so a refusal is shown
the same way wherever the action was tried.
"""

from __future__ import annotations


class DomainError(Exception):
    """A change the rules do not allow; the message is for the person who tried."""

    field: str | None = None
