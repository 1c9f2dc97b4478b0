from django.urls import path

from khuyencong import notification_views as views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("so-chua-doc/", views.badge, name="badge"),
    path("moi-nhat/", views.latest, name="latest"),
    path("da-doc-tat-ca/", views.mark_all_read, name="mark_all_read"),
    path("cai-dat/", views.preferences, name="preferences"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("<int:pk>/da-doc/", views.mark_read, name="mark_read"),
]
