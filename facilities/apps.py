from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "facilities"
    verbose_name = _("Cơ sở công nghiệp nông thôn")

    def ready(self):
        # The background jobs of the registry (large export, import) register their kinds.
        from facilities import jobs, summaries  # noqa: F401

        # The registry's running totals follow every save and delete (summaries.py).
        summaries.connect()
