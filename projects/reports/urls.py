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
]
