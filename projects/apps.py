from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Đề án khuyến công")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from projects.applications import jobs, norms  # noqa: F401  (jobs: the export kind)
        from projects.closeout import disbursements, steps  # noqa: F401
        from projects.models import SupportNorm
        from projects.reminders import tasks  # noqa: F401
        from projects.reports import jobs as report_jobs  # noqa: F401  (the register's kind)

        # Close-out transitions register themselves with the workflow on import (above); load
        # them at start-up so every screen sees the whole life of a project. The reminder tasks
        # live outside `projects.tasks`, where Celery's autodiscovery would look.
        # A norm changed on the norms pages (planning, which may not import applications)
        # re-stores the limit of the requests it governs, which the project list filters on.
        post_save.connect(norms.on_norm_changed, sender=SupportNorm, dispatch_uid="norm_saved")
        post_delete.connect(norms.on_norm_changed, sender=SupportNorm, dispatch_uid="norm_deleted")

        # The running totals of the reports follow every save of what they count.
        from projects.planning import summaries

        summaries.connect()

        # Who is told when a step is taken: connects to workflow.step_taken.
        from projects.process import turns  # noqa: F401
