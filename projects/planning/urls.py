from django.urls import path

from projects.planning import views

app_name = "planning"

urlpatterns = [
    path("", views.programme_list, name="index"),
    path("chuong-trinh/them/", views.programme_edit, name="programme_create"),
    path("chuong-trinh/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("chuong-trinh/<int:pk>/sua/", views.programme_edit, name="programme_edit"),
    path("nam/them/", views.plan_edit, name="plan_create"),
    path("nam/<int:year>/", views.plan_detail, name="plan_detail"),
    path("nam/<int:year>/sua/", views.plan_edit, name="plan_edit"),
    path("kinh-phi/", views.allocation_list, name="allocation_list"),
    path("kinh-phi/them/", views.allocation_edit, name="allocation_create"),
    path("kinh-phi/<int:pk>/", views.allocation_detail, name="allocation_detail"),
    path("kinh-phi/<int:pk>/sua/", views.allocation_edit, name="allocation_edit"),
    path("dinh-muc/", views.norm_list, name="norm_list"),
    path("dinh-muc/them/", views.norm_edit, name="norm_create"),
    path("dinh-muc/<int:pk>/sua/", views.norm_edit, name="norm_edit"),
    path("danh-muc/", views.catalogue, name="catalogue"),
    path("danh-muc/<str:kind>/them/", views.catalogue_edit, name="catalogue_create"),
    path("danh-muc/<str:kind>/<int:pk>/sua/", views.catalogue_edit, name="catalogue_edit"),
]
