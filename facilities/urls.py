from django.urls import path

from facilities import views

# Figures, products and recognitions share three views; the kind says which (facilities/views.py).
create, edit, delete = views.sub_record_create, views.sub_record_edit, views.sub_record_delete
FIGURES = {"kind": views.FIGURES}
PRODUCTS = {"kind": views.PRODUCTS}
RECOGNITIONS = {"kind": views.RECOGNITIONS}

app_name = "facilities"

urlpatterns = [
    path("", views.facility_list, name="list"),
    path("xuat-excel/", views.facility_export, name="export"),
    path("nhap-excel/", views.import_start, name="import"),
    path("nhap-excel/mau.xlsx", views.import_template, name="import_template"),
    path("nhap-excel/xac-nhan/", views.import_confirm, name="import_confirm"),
    path("nhap-excel/huy/", views.import_cancel, name="import_cancel"),
    path("nhap-so-lieu/", views.figures_import_start, name="figures_import"),
    path("nhap-so-lieu/mau.xlsx", views.figures_import_template, name="figures_import_template"),
    path("nhap-so-lieu/xac-nhan/", views.figures_import_confirm, name="figures_import_confirm"),
    path("nhap-so-lieu/huy/", views.figures_import_cancel, name="figures_import_cancel"),
    path("them/", views.facility_create, name="create"),
    path("<int:pk>/", views.facility_detail, name="detail"),
    path("<int:pk>/sua/", views.facility_edit, name="edit"),
    path("<int:pk>/lich-su/", views.facility_history_section, name="history"),
    path("<int:pk>/so-lieu/", views.figures_section, name="figures"),
    path("<int:pk>/so-lieu/them/", create, FIGURES, name="figure_create"),
    path("<int:pk>/so-lieu/<int:record_pk>/sua/", edit, FIGURES, name="figure_edit"),
    path("<int:pk>/so-lieu/<int:record_pk>/xoa/", delete, FIGURES, name="figure_delete"),
    path("<int:pk>/san-pham/", views.products_section, name="products"),
    path("<int:pk>/san-pham/them/", create, PRODUCTS, name="product_create"),
    path("<int:pk>/san-pham/<int:record_pk>/sua/", edit, PRODUCTS, name="product_edit"),
    path("<int:pk>/san-pham/<int:record_pk>/xoa/", delete, PRODUCTS, name="product_delete"),
    path(
        "<int:pk>/san-pham/<int:parent_pk>/cong-nhan/them/",
        create,
        RECOGNITIONS,
        name="recognition_create",
    ),
    path("<int:pk>/cong-nhan/<int:record_pk>/sua/", edit, RECOGNITIONS, name="recognition_edit"),
    path(
        "<int:pk>/cong-nhan/<int:record_pk>/xoa/", delete, RECOGNITIONS, name="recognition_delete"
    ),
]
