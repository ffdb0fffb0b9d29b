from django.urls import path

from . import report_views

app_name = "reports"

urlpatterns = [
    path("", report_views.report_list, name="list"),
    path("<int:pk>/", report_views.report_detail, name="detail"),
    path("<int:pk>/download/", report_views.report_download, name="download"),
    path("<int:pk>/try-again/", report_views.report_try_again, name="try_again"),
]
