"""Staff pages, mounted at /programme/staff/ in the "applications" namespace."""

from django.urls import path

from . import staff_views as views

urlpatterns = [
    path("", views.staff_index, name="staff_index"),
    path("applications/<int:pk>/verify/", views.staff_verify, name="staff_verify"),
    path("applications/<int:pk>/la-approval/", views.staff_la_approve, name="staff_la_approve"),
    path("applications/<int:pk>/assessors/", views.staff_assign, name="staff_assign"),
    path("applications/<int:pk>/decision/", views.staff_decide, name="staff_decide"),
    path("assessments/", views.staff_assessments, name="staff_assessments"),
    path("assessments/<int:pk>/", views.staff_assess, name="staff_assess"),
    path("rounds/<int:pk>/panel/", views.staff_panel, name="staff_panel"),
    path("rounds/<int:pk>/decision-emails/", views.staff_send_decisions, name="staff_send_decisions"),
]
