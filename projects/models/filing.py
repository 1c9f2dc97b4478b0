"""What the province files upward: the letterhead and signatures of its reports (one row), and
the province-level indicators it reported each year, to be set beside the registry's own."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

NATIONAL_MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_SLOGAN = "Độc lập - Tự do - Hạnh phúc"


class ReportFiling(models.Model):
    """Thể thức báo cáo: the agency block, the report number's suffix, the place written before
    the date, and who prepares and who approves. One row (pk 1); until someone saves it,
    `ReportFiling.load()` gives the defaults without writing (a report page is a read). Managers
    edit it in the portal, administrators in the admin.
    The national motto is fixed by law (Decree 30/2020/NĐ-CP) and not editable."""

    parent_agency = models.CharField(_("cơ quan chủ quản"), max_length=150, blank=True)
    agency = models.CharField(_("cơ quan ban hành"), max_length=150)
    number_suffix = models.CharField(
        _("ký hiệu số báo cáo"),
        max_length=40,
        blank=True,
        help_text=_("Phần sau số, ví dụ “/BC-TTKC”: báo cáo ghi “Số: 12/BC-TTKC”."),
    )
    place = models.CharField(
        _("địa danh"), max_length=80, help_text=_("Ghi trước ngày tháng, ví dụ “Cao Bằng”.")
    )
    prepared_title = models.CharField(_("chức danh người lập"), max_length=100)
    prepared_name = models.CharField(_("họ tên người lập"), max_length=100, blank=True)
    approved_title = models.CharField(_("chức danh người duyệt"), max_length=100)
    approved_name = models.CharField(_("họ tên người duyệt"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("thể thức báo cáo")
        verbose_name_plural = _("thể thức báo cáo")

    def __str__(self):
        return str(_("Thể thức báo cáo"))

    def save(self, *args, **kwargs):
        self.pk = 1  # one row only
        super().save(*args, **kwargs)

    @classmethod
    def defaults(cls) -> dict:
        province = settings.PROVINCE_NAME
        return {
            "parent_agency": f"SỞ CÔNG THƯƠNG TỈNH {province.upper()}",
            "agency": "TRUNG TÂM KHUYẾN CÔNG",
            "number_suffix": "/BC-TTKC",
            "place": province,
            "prepared_title": "NGƯỜI LẬP BIỂU",
            "approved_title": "GIÁM ĐỐC",
        }

    @classmethod
    def load(cls) -> "ReportFiling":
        return cls.objects.filter(pk=1).first() or cls(pk=1, **cls.defaults())


class ReportedIndicator(models.TextChoices):
    FACILITIES = "facilities", _("Số cơ sở CNNT")
    WORKERS = "workers", _("Số lao động trong các cơ sở CNNT")
    KC_JOBS = "kc_jobs", _("Lao động có việc làm từ hoạt động khuyến công")
    PRODUCTION_VALUE = "production_value", _("Giá trị sản xuất CNNT (đồng)")
    PROJECTS = "projects", _("Số đề án khuyến công")
    KC_FUNDS = "kc_funds", _("Tổng kinh phí khuyến công (đồng)")


class ReportedFigure(models.Model):
    """Số liệu đã báo cáo: a province-level figure as it was reported upward for a year, with
    the document it was reported in, so the registry's own figure can be compared with it."""

    year = models.PositiveSmallIntegerField(_("năm"))
    indicator = models.CharField(_("chỉ tiêu"), max_length=20, choices=ReportedIndicator.choices)
    value = models.PositiveBigIntegerField(_("số liệu đã báo cáo"))
    source = models.CharField(
        _("nguồn"),
        max_length=255,
        help_text=_("Văn bản đã báo cáo số liệu, ví dụ “Báo cáo số 15/BC-SCT ngày 10/01/2025”."),
    )
    note = models.TextField(_("ghi chú"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhập"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("số liệu đã báo cáo")
        verbose_name_plural = _("số liệu đã báo cáo")
        ordering = ["-year", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "indicator"],
                name="one_reported_figure_per_year_indicator",
                violation_error_message=_("Chỉ tiêu này của năm này đã được nhập."),
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=1990), name="reported_figure_year_sane"
            ),
        ]

    def __str__(self):
        return f"{self.get_indicator_display()} {self.year}"
