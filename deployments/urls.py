"""Deployments (under /deployments/): the pages of the people who take part,
and the adviser's staff pages under /deployments/staff/."""

from django.urls import path

from . import views

app_name = "deployments"

urlpatterns = [
    path("", views.deployment_list, name="list"),
    path("<int:pk>/", views.deployment_detail, name="detail"),
    path("<int:pk>/accept/", views.deployment_accept, name="accept"),
    path("<int:pk>/decline/", views.deployment_decline, name="decline"),
    path("<int:pk>/start/", views.deployment_start, name="start"),
    path("<int:pk>/complete/", views.deployment_complete, name="complete"),
    path("<int:pk>/end-early/", views.deployment_end_early, name="end_early"),
    path("<int:pk>/contract.pdf", views.deployment_contract, name="contract"),
    path("<int:pk>/end-report/", views.deployment_end_report, name="end_report"),
    path("<int:pk>/objectives/", views.objective_add, name="objective_add"),
    path("<int:pk>/objectives/<int:objective_pk>/progress/", views.objective_rate, name="objective_rate"),
    path("<int:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/change/", views.visit_amend, name="visit_amend"),
    path("visits/<int:pk>/confirm/", views.visit_confirm, name="visit_confirm"),
    path("visits/<int:pk>/query/", views.visit_query, name="visit_query"),
    path("visits/<int:pk>/quality-assurance/", views.visit_flag, name="visit_flag"),
    # The adviser's pages.
    path("staff/", views.overview, name="overview"),
    path("staff/schools-flagged/", views.flagged_schools, name="flagged_schools"),
    path("staff/needs/<int:pk>/matches/", views.matches, name="matches"),
    path("staff/match-all/", views.match_all, name="match_all"),
    path("staff/statements/", views.statements, name="statements"),
    path("staff/statements/<int:pk>/", views.statement_detail, name="statement"),
    path("staff/statements/claim-window/", views.claim_window, name="claim_window"),
    path("staff/statements/<int:pk>/finalise/", views.statement_finalise, name="statement_finalise"),
    path("staff/statements/<int:pk>/statement.csv", views.statement_csv, name="statement_csv"),
    path("staff/statements/<int:pk>/statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("staff/statements/<int:pk>/make-pdf/", views.statement_make_pdf, name="statement_make_pdf"),
    path("staff/statements/<int:pk>/approve/", views.statement_approve, name="statement_approve"),
    path("staff/visits/<int:pk>/correct/", views.visit_correct, name="visit_correct"),
]
