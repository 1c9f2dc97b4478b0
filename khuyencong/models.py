from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _


class LocalityKind(models.TextChoices):
    PROVINCE = "province", _("Tỉnh")
    CITY = "city", _("Thành phố")
    DISTRICT = "district", _("Huyện")
    TOWN = "town", _("Thị xã")
    COMMUNE = "commune", _("Xã")
    WARD = "ward", _("Phường")
    TOWNSHIP = "township", _("Thị trấn")
    SPECIAL_ZONE = "special_zone", _("Đặc khu")


class LocalityQuerySet(models.QuerySet):
    def subtree(self, locality: "Locality"):
        return self.filter(path__startswith=locality.path)


class Locality(models.Model):
    """A node of the administrative tree: province → (district →) commune.

    `path` is the chain of codes from the root ("04/040/01234/"), so a whole subtree is one
    indexed prefix query. It is kept up to date by `save()`, also for descendants.
    """

    code = models.CharField(_("mã"), max_length=20, unique=True)
    name = models.CharField(_("tên"), max_length=120)
    kind = models.CharField(_("cấp"), max_length=20, choices=LocalityKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("trực thuộc"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    is_active = models.BooleanField(
        _("đang hoạt động"),
        default=True,
        help_text=_("Bỏ chọn cho đơn vị đã giải thể hoặc sáp nhập (giữ lại cho hồ sơ cũ)."),
    )

    objects = LocalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("địa bàn")
        verbose_name_plural = _("địa bàn")
        ordering = ["path"]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        if self.parent_id:
            node = self.parent
            while node is not None:
                if node.pk == self.pk and self.pk is not None:
                    raise ValueError("A locality cannot be its own ancestor.")
                node = node.parent
        new_path = self.compute_path()
        old_path = None
        if self.pk:
            old_path = Locality.objects.filter(pk=self.pk).values_list("path", flat=True).first()
        self.path = new_path
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != new_path:
                Locality.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(models.Value(new_path), Substr("path", len(old_path) + 1))
                )

    @property
    def full_name(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else ""
        return f"{prefix}{self.code}/"

    def contains(self, other: "Locality | None") -> bool:
        return bool(other) and other.path.startswith(self.path)


class Role(models.TextChoices):
    CENTRE_STAFF = "centre_staff", _("Cán bộ Trung tâm")
    DISTRICT_OFFICER = "district_officer", _("Cán bộ địa bàn (huyện/xã)")
    MANAGER = "manager", _("Lãnh đạo")
    VIEWER = "viewer", _("Thanh tra, kiểm tra (chỉ xem)")


class User(AbstractUser):
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    locality = models.ForeignKey(
        Locality,
        verbose_name=_("địa bàn phụ trách"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
        help_text=_("Bắt buộc với cán bộ địa bàn: chỉ thấy hồ sơ thuộc địa bàn này và cấp dưới."),
    )
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    position = models.CharField(_("chức vụ"), max_length=120, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="district_officer") | Q(locality__isnull=False),
                name="district_officer_has_locality",
                violation_error_message=_("Cán bộ địa bàn phải có địa bàn phụ trách."),
            )
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def is_centre_staff(self) -> bool:
        return self.role == Role.CENTRE_STAFF

    @property
    def is_district_officer(self) -> bool:
        return self.role == Role.DISTRICT_OFFICER

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_viewer(self) -> bool:
        return self.role == Role.VIEWER
