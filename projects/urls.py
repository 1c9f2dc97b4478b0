from django.urls import path, register_converter

from projects.views import applications as views


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
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/sua/", views.project_edit, name="edit"),
    path("<int:pk>/<action:action>/", views.project_action, name="action"),
    path("<int:pk>/tai-lieu/", views.document_upload, name="document_upload"),
    path("<int:pk>/tai-lieu/<int:doc_pk>/", views.document_download, name="document_download"),
    path("<int:pk>/y-kien/", views.comment_add, name="comment_add"),
]
