from django.urls import path

from projects.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("ket-qua-nam/", views.annual, name="annual"),
    path("chuong-trinh/", views.programme, name="programme"),
    path("co-so-cnnt/", views.facility_stats, name="facilities"),
    path("san-pham-tieu-bieu/", views.products, name="products"),
    path("danh-muc-de-an/", views.register, name="register"),
    path("the-thuc/", views.filing_edit, name="filing"),
    path("so-lieu-da-bao-cao/", views.reported_list, name="reported"),
    path("so-lieu-da-bao-cao/them/", views.reported_edit, name="reported_create"),
    path("so-lieu-da-bao-cao/<int:pk>/sua/", views.reported_edit, name="reported_edit"),
]
