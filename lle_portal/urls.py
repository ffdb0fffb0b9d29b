from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from . import health, staff_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", lambda request: redirect(static("favicon.svg")), name="favicon"),
    path("accounts/", include("lle_portal.account_urls")),
    # The project's wiring: each app's pages under its own prefix.
    path("programme/", include("applications.urls")),
    path("deployments/", include("deployments.urls")),
    path("impact/", include("impact.urls")),
    path("reports/", include("lle_portal.report_urls")),
    # The adviser's queue of claims to a headship.
    path("staff/school-links/", staff_views.school_links, name="school_links"),
    path("staff/school-links/<int:pk>/confirm/", staff_views.school_link_confirm, name="school_link_confirm"),
    path("staff/school-links/<int:pk>/reject/", staff_views.school_link_reject, name="school_link_reject"),
    path("staff/school-links/<int:pk>/end/", staff_views.school_link_end, name="school_link_end"),
    # Its presence makes the admin's sign-in page offer "Forgotten your password?".
    path(
        "admin/password_reset/",
        RedirectView.as_view(pattern_name="password_reset"),
        name="admin_password_reset",
    ),
    path("admin/", admin.site.urls),
]

# No URL serves MEDIA_ROOT, in any mode (DEBUG included): every stored file is
# private and is downloaded only through a view that checks who asks (see
# lle_portal/files.py).
