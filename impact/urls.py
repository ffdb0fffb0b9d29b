"""The impact app's pages: dashboards, reports and surveys."""

from django.urls import include, path

from . import views

app_name = "impact"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("report/", views.request_report, name="request_report"),
    # Surveys: heads answer them, advisers read the results (impact/survey_urls.py).
    path("surveys/", include("impact.survey_urls")),
]
