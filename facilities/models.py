import datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from khuyencong.text import fold_join

TAX_CODE_RE = r"^\d{10}(-\d{3})?$"
tax_code_validator = RegexValidator(
    TAX_CODE_RE,
    _("Mã số thuế phải gồm 10 chữ số, hoặc 10 chữ số, dấu “-” và 3 chữ số (chi nhánh)."),
)


class SizeGroup(models.TextChoices):
    """Decree 80/2021 sets its thresholds per group of sectors."""

    INDUSTRY = "industry", _("Nông, lâm, thủy sản; công nghiệp và xây dựng")
    TRADE_SERVICES = "trade_services", _("Thương mại và dịch vụ")


class SizeClass(models.TextChoices):
    MICRO = "micro", _("Siêu nhỏ")
    SMALL = "small", _("Nhỏ")
    MEDIUM = "medium", _("Vừa")
    NOT_SME = "not_sme", _("Không thuộc DNNVV")


class LegalForm(models.TextChoices):
    ENTERPRISE = "enterprise", _("Doanh nghiệp")
    COOPERATIVE = "cooperative", _("Hợp tác xã (HTX)")
    COOPERATIVE_UNION = "cooperative_union", _("Liên hiệp HTX")
    COOPERATIVE_GROUP = "cooperative_group", _("Tổ hợp tác")
    HOUSEHOLD = "household", _("Hộ kinh doanh")


class RecognitionLevel(models.TextChoices):
    COMMUNE = "commune", _("Cấp xã")
    DISTRICT = "district", _("Cấp huyện")
    PROVINCIAL = "provincial", _("Cấp tỉnh")
    REGIONAL = "regional", _("Cấp khu vực")
    NATIONAL = "national", _("Cấp quốc gia")


class Sector(models.Model):
    code = models.CharField(_("mã"), max_length=20, unique=True)
    name = models.CharField(_("tên ngành nghề"), max_length=200)
    size_group = models.CharField(
        _("nhóm lĩnh vực (xác định quy mô)"),
        max_length=20,
        choices=SizeGroup.choices,
        default=SizeGroup.INDUSTRY,
    )

    class Meta:
        verbose_name = _("ngành nghề")
        verbose_name_plural = _("ngành nghề")
        ordering = ["name"]

    def __str__(self):
        return self.name


class SizeThreshold(models.Model):
    """One row of the SME size table (Decree 80/2021, Art. 5), kept as dated data.

    A facility belongs to the smallest class whose worker limit it meets AND whose revenue OR
    capital limit it meets.
    """

    size_group = models.CharField(_("nhóm lĩnh vực"), max_length=20, choices=SizeGroup.choices)
    size_class = models.CharField(
        _("quy mô"),
        max_length=10,
        choices=[c for c in SizeClass.choices if c[0] != SizeClass.NOT_SME],
    )
    max_workers = models.PositiveIntegerField(_("số lao động tối đa"))
    max_revenue = models.PositiveBigIntegerField(_("doanh thu tối đa (đồng)"))
    max_capital = models.PositiveBigIntegerField(_("tổng nguồn vốn tối đa (đồng)"))
    effective_from = models.DateField(_("hiệu lực từ"))
    effective_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=255)

    class Meta:
        verbose_name = _("ngưỡng quy mô doanh nghiệp")
        verbose_name_plural = _("ngưỡng quy mô doanh nghiệp")
        ordering = ["size_group", "max_workers"]

    def __str__(self):
        return f"{self.get_size_group_display()} – {self.get_size_class_display()}"


def classify_size(
    *, workers: int, revenue: int, capital: int, size_group: str, on: datetime.date
) -> str:
    rows = SizeThreshold.objects.filter(size_group=size_group)
    in_force = rows.filter(effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )
    if not in_force.exists():
        # Figures older than the first rule set on file are measured with the oldest one.
        first = rows.order_by("effective_from").values_list("effective_from", flat=True).first()
        in_force = rows.filter(effective_from=first)
    for row in in_force.order_by("max_workers"):
        if workers <= row.max_workers and (
            revenue <= row.max_revenue or capital <= row.max_capital
        ):
            return row.size_class
    return SizeClass.NOT_SME


class SizeRules:
    """`classify_size` for many figures at once: the thresholds are read once (the yearly
    figures import classifies thousands of rows)."""

    def __init__(self):
        self.rows = list(SizeThreshold.objects.order_by("max_workers"))

    def classify(
        self, *, workers: int, revenue: int, capital: int, size_group: str, on: datetime.date
    ) -> str:
        rows = [r for r in self.rows if r.size_group == size_group]
        in_force = [
            r
            for r in rows
            if r.effective_from <= on and (r.effective_to is None or r.effective_to >= on)
        ]
        if not in_force and rows:
            first = min(r.effective_from for r in rows)
            in_force = [r for r in rows if r.effective_from == first]
        for row in in_force:
            if workers <= row.max_workers and (
                revenue <= row.max_revenue or capital <= row.max_capital
            ):
                return row.size_class
        return SizeClass.NOT_SME


REGISTRY_PREFIX = "CS"


def parse_registry_code(text: str) -> int | None:
    """ "CS000123", "cs123" or "123" → 123; anything else → None."""
    text = str(text or "").strip().upper().replace(" ", "")
    if text.startswith(REGISTRY_PREFIX):
        text = text[len(REGISTRY_PREFIX) :]
    return int(text) if text.isdigit() and int(text) > 0 else None


class FacilityQuerySet(models.QuerySet):
    def search(self, text: str):
        from khuyencong.text import fold

        folded = fold(text)
        return self.filter(search_text__contains=folded) if folded else self

    def for_list(self):
        return self.select_related("locality__current", "main_sector").annotate(
            recognised_products=recognised_products()
        )


def recognised_products() -> Coalesce:
    """How many of a facility's products hold a recognition (an expression on facilities).

    A correlated subquery rather than Count() over a join: the outer query needs no GROUP BY
    (so filters that join other tables, such as sectors, cannot inflate the count) and the
    figure is the number of products holding at least one recognition, not the number of
    recognitions."""
    recognised = (
        Product.objects.filter(facility=models.OuterRef("pk"), recognitions__isnull=False)
        .order_by()
        .values("facility")
        .annotate(n=models.Count("pk", distinct=True))
        .values("n")
    )
    return Coalesce(models.Subquery(recognised), 0)


class Facility(models.Model):
    name = models.CharField(_("tên cơ sở"), max_length=255)
    legal_form = models.CharField(_("loại hình"), max_length=20, choices=LegalForm.choices)
    tax_code = models.CharField(
        _("mã số thuế"),
        max_length=14,
        unique=True,
        null=True,
        blank=True,
        validators=[tax_code_validator],
        error_messages={"unique": _("Mã số thuế này đã được đăng ký cho một cơ sở khác.")},
    )
    locality = models.ForeignKey(
        "khuyencong.Locality",
        verbose_name=_("địa bàn"),
        on_delete=models.PROTECT,
        related_name="facilities",
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    main_sector = models.ForeignKey(
        Sector,
        verbose_name=_("ngành nghề chính"),
        on_delete=models.PROTECT,
        related_name="main_facilities",
    )
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("ngành nghề khác"), blank=True, related_name="facilities"
    )
    representative = models.CharField(_("người đại diện"), max_length=150, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    founded_year = models.PositiveSmallIntegerField(_("năm thành lập"), null=True, blank=True)
    woman_owned = models.BooleanField(_("do phụ nữ làm chủ"), default=False)
    ethnic_minority_owned = models.BooleanField(
        _("do người dân tộc thiểu số làm chủ"), default=False
    )
    notes = models.TextField(_("ghi chú"), blank=True)
    # Denormalised from the latest yearly figures so the list can filter on it.
    size_class = models.CharField(_("quy mô"), max_length=10, choices=SizeClass.choices, blank=True)
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    objects = FacilityQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text", "updated_at", "size_class"])

    class Meta:
        verbose_name = _("cơ sở CNNT")
        verbose_name_plural = _("cơ sở CNNT")
        ordering = ["name"]
        # The list's default order (folded name, then id: facilities.filters.SortFilter) and its
        # founded-year sort; the trigram index of the search is in migration 0004 (PostgreSQL).
        indexes = [
            models.Index(fields=["search_text", "id"], name="facility_list_order"),
            models.Index(fields=["founded_year", "id"], name="facility_sort_founded"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(founded_year__isnull=True) | Q(founded_year__gte=1900),
                name="facility_founded_year_sane",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.fill_derived()
        # One transaction with the running totals its signals rewrite (facilities/summaries.py).
        with transaction.atomic():
            super().save(*args, **kwargs)

    def fill_derived(self) -> None:
        """What saving derives: no empty tax code (the unique constraint lets only NULLs
        repeat) and the folded search text. A bulk creation (the import) calls it itself."""
        if self.tax_code == "":
            self.tax_code = None
        self.search_text = fold_join(self.name, self.tax_code, self.representative)

    def clean(self):
        super().clean()
        if self.founded_year and self.founded_year > timezone.localdate().year:
            raise ValidationError({"founded_year": _("Năm thành lập không được ở tương lai.")})

    @property
    def registry_code(self) -> str:
        """The facility's code in the registry ("CS000123"): its number, for files and
        people who have no tax code to name it by."""
        return f"{REGISTRY_PREFIX}{self.pk:06d}" if self.pk else ""

    def refresh_size_class(self) -> None:
        latest = self.yearly_figures.order_by("-year").first()
        value = latest.size_class if latest else ""
        if value != self.size_class:
            Facility.objects.filter(pk=self.pk).update(size_class=value)
            self.size_class = value


class YearlyFigure(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="yearly_figures")
    year = models.PositiveSmallIntegerField(_("năm"))
    workers = models.PositiveIntegerField(_("số lao động"))
    revenue = models.PositiveBigIntegerField(_("doanh thu (đồng)"), default=0)
    capital = models.PositiveBigIntegerField(_("tổng nguồn vốn (đồng)"), default=0)
    # Empty when the facility did not report it: a missing value is not a zero in the reports.
    production_value = models.PositiveBigIntegerField(
        _("giá trị sản xuất (đồng)"), null=True, blank=True
    )
    size_class = models.CharField(
        _("quy mô"), max_length=10, choices=SizeClass.choices, editable=False
    )
    # The facility's unit when the figures were filed: a report by the units of its years
    # reads this, so moving the facility or reorganising the tree does not rewrite a past year.
    locality = models.ForeignKey(
        "khuyencong.Locality",
        verbose_name=_("địa bàn khi kê khai"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("số liệu hằng năm")
        verbose_name_plural = _("số liệu hằng năm")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "year"],
                name="one_figure_per_facility_year",
                violation_error_message=_("Cơ sở đã có số liệu của năm này."),
            ),
            models.CheckConstraint(condition=Q(year__gte=1900), name="figure_year_sane"),
        ]

    def __str__(self):
        return f"{self.facility} – {self.year}"

    def save(self, *args, **kwargs):
        if self.locality_id is None:
            self.locality_id = self.facility.locality_id
        self.size_class = classify_size(
            workers=self.workers,
            revenue=self.revenue,
            capital=self.capital,
            size_group=self.facility.main_sector.size_group,
            on=datetime.date(self.year, 12, 31),
        )
        # One transaction with the running totals its signals rewrite (facilities/summaries.py).
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.facility.refresh_size_class()

    def clean(self):
        super().clean()
        if self.year and self.year > timezone.localdate().year:
            raise ValidationError({"year": _("Không nhập số liệu cho năm chưa tới.")})

    def delete(self, *args, **kwargs):
        facility = self.facility
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            facility.refresh_size_class()
        return result


class Product(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("tên sản phẩm"), max_length=255)
    description = models.TextField(_("mô tả"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sản phẩm")
        verbose_name_plural = _("sản phẩm")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Recognition(models.Model):
    """Recognition as an outstanding rural industrial product (SP CNNT tiêu biểu)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="recognitions")
    level = models.CharField(_("cấp công nhận"), max_length=12, choices=RecognitionLevel.choices)
    year = models.PositiveSmallIntegerField(_("năm công nhận"))
    certificate_number = models.CharField(_("số giấy chứng nhận"), max_length=60, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("công nhận SP CNNT tiêu biểu")
        verbose_name_plural = _("công nhận SP CNNT tiêu biểu")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "level", "year"],
                name="one_recognition_per_level_year",
                violation_error_message=_("Sản phẩm đã được công nhận ở cấp này trong năm này."),
            ),
            models.CheckConstraint(condition=Q(year__gte=1990), name="recognition_year_sane"),
        ]

    def __str__(self):
        return f"{self.product} – {self.get_level_display()} {self.year}"

    @property
    def valid_until(self) -> datetime.date:
        # TT 26/2014 Art. 17(3) as amended by TT 14/2018: to 31/12 of the fourth year.
        return datetime.date(self.year + 3, 12, 31)


# --- running totals of the registry (facilities/summaries.py keeps them) --------------------


class RegistryGroup(models.Model):
    """One locality holding facilities: the row locked while the totals of the facilities
    filed there (RegistryTotals, FigureTotals) are rewritten, so two writers take turns."""

    locality = models.OneToOneField(
        "khuyencong.Locality", on_delete=models.CASCADE, related_name="+"
    )

    def __str__(self):
        return str(self.locality_id)


class RegistryTotals(models.Model):
    """How many facilities a locality holds per main sector (the "trong sổ" counts)."""

    locality = models.ForeignKey("khuyencong.Locality", on_delete=models.CASCADE, related_name="+")
    main_sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="+")
    facilities = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["locality", "main_sector"], name="registry_totals_key")]

    def __str__(self):
        return f"{self.locality_id}/{self.main_sector_id}: {self.facilities}"


class FigureTotals(models.Model):
    """The yearly figures of the facilities that share a year, a locality of the facility
    (today's: what access scoping reads), a locality the figures were filed under (what the
    reports group by) and a main sector: how many, and the sums the reports show."""

    year = models.PositiveSmallIntegerField()
    facility_locality = models.ForeignKey(
        "khuyencong.Locality", on_delete=models.CASCADE, related_name="+"
    )
    # YearlyFigure.locality, or the facility's where a figure has none (as the reports read it).
    locality = models.ForeignKey("khuyencong.Locality", on_delete=models.CASCADE, related_name="+")
    main_sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="+")
    facilities = models.BigIntegerField(default=0)
    workers = models.BigIntegerField(default=0)
    revenue = models.BigIntegerField(default=0)
    # The sum over the figures that gave a production value, and how many did.
    production = models.BigIntegerField(default=0)
    production_reported = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["year", "facility_locality"], name="figure_totals_key")]

    def __str__(self):
        return f"{self.year} {self.facility_locality_id}/{self.locality_id}: {self.facilities}"


class RecognitionTotals(models.Model):
    """How many recognitions of a year and level the products of the facilities that share a
    locality (the facility's, today) and a main sector hold: the outstanding products report
    reads these instead of joining every recognition with its product and facility."""

    year = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=12, choices=RecognitionLevel.choices)
    facility_locality = models.ForeignKey(
        "khuyencong.Locality", on_delete=models.CASCADE, related_name="+"
    )
    main_sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="+")
    recognitions = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["year", "level"], name="recognition_totals_key")]

    def __str__(self):
        return f"{self.year} {self.level} {self.facility_locality_id}: {self.recognitions}"
