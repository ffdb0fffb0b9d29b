from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "LLE Portal administration"
admin.site.site_title = "LLE Portal admin"
admin.site.index_title = "Programme administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("lle_portal.account_urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
