"""The portal's admin site: the programme's name in its header, a way back to
the staff pages on every page, and the index and sidebar grouped by task
(lle_portal/admin_groups.py) rather than by the code's apps.

Installed in place of django.contrib.admin (settings INSTALLED_APPS), so
`admin.site` everywhere is this site.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from . import admin_groups


class LLEAdminSite(admin.AdminSite):
    site_header = settings.SITE_NAME
    site_title = f"{settings.SITE_NAME} admin"
    index_title = "Programme administration"
    # The header's own link back to the staff pages replaces Django's "View site".
    site_url = None

    def get_app_list(self, request, app_label=None):
        return admin_groups.grouped(self._build_app_dict(request, app_label), request.user)


class LLEAdminConfig(AdminConfig):
    default_site = "lle_portal.admin_site.LLEAdminSite"
