"""Tài khoản: password change and reset, two-factor sign-in, the idle-warning keep-alive.

Django's own names (password_change, password_reset_confirm, …) are kept, so its views and
e-mail templates find them."""

from django.contrib.auth import views as auth_views
from django.urls import path

from khuyencong import account_views as views

urlpatterns = [
    path("doi-mat-khau/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "doi-mat-khau/xong/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("quen-mat-khau/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "quen-mat-khau/da-gui/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "dat-lai-mat-khau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "dat-lai-mat-khau/xong/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("xac-thuc-hai-buoc/", views.two_factor_status, name="two_factor"),
    path("xac-thuc-hai-buoc/nhap-ma/", views.two_factor_verify, name="two_factor_verify"),
    path("xac-thuc-hai-buoc/ma-du-phong/", views.two_factor_backup, name="two_factor_backup"),
    path("xac-thuc-hai-buoc/tat/", views.two_factor_disable, name="two_factor_disable"),
    path("con-lam-viec/", views.session_keepalive, name="session_keepalive"),
]
