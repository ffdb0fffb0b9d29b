from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from . import health, views

admin.site.site_header = "LLE Portal administration"
admin.site.site_title = "LLE Portal admin"
admin.site.index_title = "Programme administration"

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
    # Its presence makes the admin's sign-in page offer "Forgotten your password?".
    path(
        "admin/password_reset/",
        RedirectView.as_view(pattern_name="password_reset"),
        name="admin_password_reset",
    ),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
