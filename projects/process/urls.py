"""Việc của tôi (part of the `projects:` namespace, see projects/urls.py)."""

from django.urls import path

from projects.process import views

urlpatterns = [
    path("viec-cua-toi/", views.my_work, name="my_work"),
    path("viec-cua-toi/<slug:key>/", views.my_work_group, name="my_work_group"),
]
