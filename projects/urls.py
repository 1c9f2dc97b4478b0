from django.urls import path, register_converter

from projects.views import applications as views
from projects.views import closeout


class ActionConverter:
    """Workflow actions by their Vietnamese URL slug (/de-an/12/tham-dinh/ → "appraise")."""

    slugs = {
        "nop": "submit",
        "tra-lai": "return",
        "tham-dinh": "appraise",
        "phe-duyet": "approve",
        "khong-phe-duyet": "reject",
        "huy": "cancel",
        "vuot-dinh-muc": "override_norm",
        "ky-hop-dong": "start",
        "de-nghi-nghiem-thu": "request_acceptance",
        "quyet-toan": "settle",
    }
    names = {name: slug for slug, name in slugs.items()}
    regex = "|".join(sorted(slugs, key=len, reverse=True))

    def to_python(self, value):
        return self.slugs[value]

    def to_url(self, value):
        return self.names[value]


register_converter(ActionConverter, "action")

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("xuat-excel/", views.project_export, name="export"),
    path("lap-moi/", views.project_create, name="create"),
    path("viec-cua-toi/", views.my_work, name="my_work"),
    path("dinh-muc-ap-dung/", views.norm_hint, name="norm_hint"),
    path("nghiem-thu/", closeout.upcoming_reviews, name="upcoming_reviews"),
    path("viec-qua-han/", closeout.overdue_actions, name="overdue_actions"),
    path("bao-cao-chua-nop/", closeout.missing_reports, name="missing_reports"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/sua/", views.project_edit, name="edit"),
    path("<int:pk>/<action:action>/", views.project_action, name="action"),
    path("<int:pk>/tai-lieu/", views.document_upload, name="document_upload"),
    path("<int:pk>/tai-lieu/<int:doc_pk>/", views.document_download, name="document_download"),
    path("<int:pk>/y-kien/", views.comment_add, name="comment_add"),
    path("<int:pk>/kiem-tra/", closeout.record_visit, name="record_visit"),
    path(
        "<int:pk>/viec-khac-phuc/<int:action_pk>/hoan-thanh/",
        closeout.complete_follow_up,
        name="complete_follow_up",
    ),
    path("<int:pk>/bao-cao-tien-do/", closeout.file_report, name="file_report"),
    path("<int:pk>/giai-ngan/", closeout.disburse, name="disburse"),
    path("<int:pk>/nghiem-thu/", closeout.schedule_review, name="schedule_review"),
    path(
        "<int:pk>/nghiem-thu/<int:review_pk>/ket-qua/",
        closeout.review_outcome,
        name="review_outcome",
    ),
]
