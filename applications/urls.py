"""The public programme page and the headteacher's application (under /programme/)."""

from django.urls import include, path

from . import reference_views, staff_views, views

app_name = "applications"

urlpatterns: list = [
    path("", views.programme, name="programme"),
    path("rounds/<int:round_pk>/start/", views.start, name="start"),
    path("my-application/", views.mine, name="mine"),
    path("my-application/<int:pk>/", views.detail, name="detail"),
    path("my-application/<int:pk>/tasks/", views.task_list, name="task_list"),
    path("my-application/<int:pk>/sections/<slug:key>/", views.section, name="section"),
    path("my-application/<int:pk>/sections/<slug:key>/autosave/", views.autosave, name="autosave"),
    path("my-application/<int:pk>/check/", views.check, name="check"),
    path("my-application/<int:pk>/submitted/", views.submitted, name="submitted"),
    path("my-application/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("my-application/<int:pk>/requests/<slug:kind>/send/", views.send_request, name="send_request"),
    # The sponsor's and the chair of governors' pages: the token is the only credential.
    path("reference/<str:token>/", reference_views.respond, name="reference_respond"),
    path("reference/<str:token>/draft/", reference_views.draft, name="reference_draft"),
    path("staff/requests/<int:pk>/<slug:action>/", staff_views.staff_link_request, name="staff_link_request"),
    # Staff pages (verification, assessment, panel) are in staff_urls.py.
    path("staff/", include("applications.staff_urls")),
]
