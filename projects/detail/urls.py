"""The project page and its workflow actions (part of the `projects:` namespace, see
projects/urls.py)."""

from django.urls import path, register_converter

from projects.detail import views


class ActionConverter:
    """Workflow actions by their Vietnamese URL slug (/de-an/12/tham-dinh/ → "appraise")."""

    slugs = {
        "nop": "submit",
        "tra-lai": "return",
        "tham-dinh": "appraise",
        "phe-duyet": "approve",
        "khong-phe-duyet": "reject",
        "huy": "cancel",
        "vuot-dinh-muc": "override_norm",
        "ngoai-le": "grant_exception",
        "ky-hop-dong": "start",
        "de-nghi-nghiem-thu": "request_acceptance",
        "quyet-toan": "settle",
    }
    names = {name: slug for slug, name in slugs.items()}
    regex = "|".join(sorted(slugs, key=len, reverse=True))

    def to_python(self, value):
        return self.slugs[value]

    def to_url(self, value):
        return self.names[value]


register_converter(ActionConverter, "action")


urlpatterns = [
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/<action:action>/", views.project_action, name="action"),
]
