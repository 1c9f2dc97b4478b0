from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KhuyencongConfig(AppConfig):
    name = "khuyencong"
    verbose_name = _("Hệ thống")

    def ready(self):
        from khuyencong import audit, two_factor

        audit.connect()
        two_factor.connect()
