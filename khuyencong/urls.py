from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from khuyencong import audit_views
from khuyencong.ops.views import healthz
from projects.reports import views


class Favicon(RedirectView):
    """Browsers ask for /favicon.ico whatever the page links; the icon is static/favicon.svg.
    Looked up per request, not at import: the hashed static name needs the built manifest."""

    http_method_names = ["get", "head"]

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


urlpatterns = [
    path("", views.dashboard, name="home"),
    path(
        "dang-nhap/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("tai-khoan/", include("khuyencong.account_urls")),
    path("nhat-ky/", audit_views.audit_log, name="audit_log"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("co-so/", include("facilities.urls")),
    path("thong-bao/", include("khuyencong.notification_urls")),
    path("cong-viec/", include("khuyencong.job_urls")),
    path("de-an/", include("projects.urls")),
    path("ke-hoach/", include("projects.planning.urls")),
    path("bao-cao/", include("projects.reports.urls")),
    path("quan-tri/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", Favicon.as_view(), name="favicon"),
]
