from django.urls import path

from projects import report_views

app_name = "reports"

urlpatterns = [
    path("", report_views.index, name="index"),
    path("ket-qua-nam/", report_views.annual, name="annual"),
    path("chuong-trinh/", report_views.programme, name="programme"),
    path("co-so-cnnt/", report_views.facility_stats, name="facilities"),
    path("san-pham-tieu-bieu/", report_views.products, name="products"),
    path("danh-muc-de-an/", report_views.register, name="register"),
]
