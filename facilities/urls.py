from django.urls import path

from facilities import views

app_name = "facilities"

urlpatterns = [
    path("", views.facility_list, name="list"),
    path("xuat-excel/", views.facility_export, name="export"),
    path("nhap-excel/", views.import_start, name="import"),
    path("nhap-excel/mau.xlsx", views.import_template, name="import_template"),
    path("nhap-excel/xac-nhan/", views.import_confirm, name="import_confirm"),
    path("nhap-excel/huy/", views.import_cancel, name="import_cancel"),
    path("them/", views.facility_create, name="create"),
    path("<int:pk>/", views.facility_detail, name="detail"),
    path("<int:pk>/sua/", views.facility_edit, name="edit"),
    path("<int:pk>/lich-su/", views.facility_history_section, name="history"),
    path("<int:pk>/so-lieu/", views.figures_section, name="figures"),
    path("<int:pk>/so-lieu/them/", views.figure_create, name="figure_create"),
    path("<int:pk>/so-lieu/<int:figure_pk>/sua/", views.figure_edit, name="figure_edit"),
    path("<int:pk>/so-lieu/<int:figure_pk>/xoa/", views.figure_delete, name="figure_delete"),
    path("<int:pk>/san-pham/", views.products_section, name="products"),
    path("<int:pk>/san-pham/them/", views.product_create, name="product_create"),
    path("<int:pk>/san-pham/<int:product_pk>/sua/", views.product_edit, name="product_edit"),
    path("<int:pk>/san-pham/<int:product_pk>/xoa/", views.product_delete, name="product_delete"),
    path(
        "<int:pk>/san-pham/<int:product_pk>/cong-nhan/them/",
        views.recognition_create,
        name="recognition_create",
    ),
    path(
        "<int:pk>/cong-nhan/<int:recognition_pk>/sua/",
        views.recognition_edit,
        name="recognition_edit",
    ),
    path(
        "<int:pk>/cong-nhan/<int:recognition_pk>/xoa/",
        views.recognition_delete,
        name="recognition_delete",
    ),
]
