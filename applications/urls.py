from django.urls import include, path

app_name = "applications"

urlpatterns: list = [
    # Staff pages (verification, assessment, panel) are in staff_urls.py.
    path("staff/", include("applications.staff_urls")),
]
