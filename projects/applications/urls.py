"""Application screens (part of the `projects:` namespace, see projects/urls.py)."""

from django.urls import path

from projects.applications import views

urlpatterns = [
    path("", views.project_list, name="list"),
    path("xuat-excel/", views.project_export, name="export"),
    path("lap-moi/", views.project_create, name="create"),
    path("dinh-muc-ap-dung/", views.norm_hint, name="norm_hint"),
    path("<int:pk>/sua/", views.project_edit, name="edit"),
    path("<int:pk>/tai-lieu/", views.document_upload, name="document_upload"),
    path("<int:pk>/tai-lieu/<int:doc_pk>/", views.document_download, name="document_download"),
    path("<int:pk>/y-kien/", views.comment_add, name="comment_add"),
]
