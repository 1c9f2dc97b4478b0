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
    # Corrections (sửa, hủy, ghi đảo): one page each, reached from the rows of the project page.
    path("<int:pk>/nghiem-thu/<int:review_pk>/sua/", views.edit_review, name="edit_review"),
    path("<int:pk>/nghiem-thu/<int:review_pk>/huy/", views.cancel_review, name="cancel_review"),
    path("<int:pk>/kiem-tra/<int:visit_pk>/sua/", views.edit_visit, name="edit_visit"),
    path("<int:pk>/kiem-tra/<int:visit_pk>/huy/", views.cancel_visit, name="cancel_visit"),
    path(
        "<int:pk>/viec-khac-phuc/<int:action_pk>/sua/",
        views.edit_follow_up,
        name="edit_follow_up",
    ),
    path(
        "<int:pk>/viec-khac-phuc/<int:action_pk>/huy/",
        views.cancel_follow_up,
        name="cancel_follow_up",
    ),
    path("<int:pk>/bao-cao-tien-do/<int:report_pk>/sua/", views.edit_report, name="edit_report"),
    path(
        "<int:pk>/bao-cao-tien-do/<int:report_pk>/huy/", views.cancel_report, name="cancel_report"
    ),
    path(
        "<int:pk>/giai-ngan/<int:disbursement_pk>/ghi-dao/",
        views.reverse_disbursement,
        name="reverse_disbursement",
    ),
]
