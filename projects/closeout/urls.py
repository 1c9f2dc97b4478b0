"""Close-out screens (part of the `projects:` namespace, see projects/urls.py)."""

from django.urls import path

from projects.closeout import views

urlpatterns = [
    path("nghiem-thu/", views.upcoming_reviews, name="upcoming_reviews"),
    path("viec-qua-han/", views.overdue_actions, name="overdue_actions"),
    path("bao-cao-chua-nop/", views.missing_reports, name="missing_reports"),
    path("<int:pk>/kiem-tra/", views.record_visit, name="record_visit"),
    path(
        "<int:pk>/viec-khac-phuc/<int:action_pk>/hoan-thanh/",
        views.complete_follow_up,
        name="complete_follow_up",
    ),
    path("<int:pk>/bao-cao-tien-do/", views.file_report, name="file_report"),
    path("<int:pk>/giai-ngan/", views.disburse, name="disburse"),
    path("<int:pk>/nghiem-thu/", views.schedule_review, name="schedule_review"),
    path(
        "<int:pk>/nghiem-thu/<int:review_pk>/ket-qua/",
        views.review_outcome,
        name="review_outcome",
    ),
]
