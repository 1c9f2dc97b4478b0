from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Đề án khuyến công")

    def ready(self):
        # Close-out transitions register themselves with the workflow on import; load them
        # at start-up so every screen sees the whole life of a project. The reminder tasks
        # live outside `projects.tasks`, where Celery's autodiscovery would look.
        from projects.closeout import disbursements, steps  # noqa: F401

        # Who is told when a step is taken: connects to workflow.step_taken.
        from projects.process import turns  # noqa: F401
        from projects.reminders import tasks  # noqa: F401
