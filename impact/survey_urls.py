"""Survey pages, under /impact/surveys/ in the "impact" namespace
(impact:survey_list, impact:survey_answer, impact:survey_results, ...)."""

from django.urls import path

from . import survey_views as views

urlpatterns = [
    path("", views.survey_list, name="survey_list"),
    path("<int:pk>/", views.survey_answer, name="survey_answer"),
    path("staff/", views.staff_survey_list, name="staff_survey_list"),
    path("staff/<int:pk>/", views.survey_results, name="survey_results"),
    path("staff/<int:pk>/comments/<int:answer_pk>/publish/", views.comment_publish, name="survey_comment_publish"),
    path("staff/<int:pk>/comments/<int:answer_pk>/unpublish/", views.comment_unpublish,
         name="survey_comment_unpublish"),
]
