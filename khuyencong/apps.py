from django.apps import AppConfig
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _


class KhuyencongConfig(AppConfig):
    name = "khuyencong"
    verbose_name = _("Hệ thống")

    def ready(self):
        from khuyencong import audit, jobs, two_factor  # noqa: F401  (jobs: its notice kind)

        audit.connect()
        two_factor.connect()
        # Django's own message is English even in Vietnamese ("Null characters are not
        # allowed."); every form field's NUL-byte check reads this class attribute.
        ProhibitNullCharactersValidator.message = _(
            "Nội dung có ký tự không hợp lệ (ký tự NUL). Hãy xóa ký tự đó rồi gửi lại."
        )
