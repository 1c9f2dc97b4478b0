from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Đề án khuyến công")

    def ready(self):
        # Close-out transitions register themselves with the workflow on import; load them
        # at start-up so every screen sees the whole life of a project.
        from projects import closeout, money  # noqa: F401
