"""Order of steps and deadlines of the law (issue 10, points 4 and 6).

- Advance limits for every activity type. TT 36/2013/TT-BCT confirms 70% and 30% for some
  types (domain.md §3.3); for the others (machinery, demonstration models, fairs, international
  cooperation, capacity building, digital transformation) no figure is confirmed, so they get
  the conservative 30% and are marked unconfirmed. A province edits both; a limit it already set
  is kept.
- The deadlines: settlement by 22 January of the year after acceptance (TT 36/2013 Art. 18) and
  national registration before 20 May of the year before the plan year (TT 46/2012 Art. 8,
  TT 36/2013), both from domain.md §4.
- The filing date of projects already submitted, from their first "submit" event.
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


TT36 = "Thông tư 36/2013/TT-BCT (tạm ứng)"
CONFIRMED = {"DTN": 70, "NLQL": 70, "SXSH": 70, "TVTT": 70, "LKCCN": 30}
UNCONFIRMED_PERCENT = 30
UNCONFIRMED_BASIS = (
    "mức mặc định thận trọng của Trung tâm (chưa xác nhận: Thông tư 36/2013/TT-BCT không "
    "quy định mức tạm ứng cho nội dung này)"
)
DEADLINES = [
    {
        "code": "settlement",
        "name": "Hạn thanh lý hợp đồng, quyết toán kinh phí đề án",
        "day": 22,
        "month": 1,
        "anchor": "acceptance",
        "year_offset": 1,
        "legal_basis": "Thông tư 36/2013/TT-BCT, Điều 18: chậm nhất ngày 22 tháng 01 năm sau",
        "confirmed": True,
        "remind_before_days": [30, 7, 1],
    },
    {
        "code": "national_registration",
        "name": "Hạn đăng ký đề án khuyến công quốc gia cho kế hoạch năm sau",
        "day": 20,
        "month": 5,
        "anchor": "plan",
        "year_offset": -1,
        "legal_basis": (
            "Thông tư 46/2012/TT-BCT, Điều 8 và Thông tư 36/2013/TT-BCT: nộp Sở Công Thương "
            "trước ngày 20 tháng 5 hằng năm (hoặc ngày Sở quy định)"
        ),
        "confirmed": True,
        # Empty: the lead days of REMIND_NATIONAL_DEADLINE_BEFORE_DAYS.
        "remind_before_days": [],
    },
]


def seed(apps, schema_editor):
    ActivityType = apps.get_model("projects", "ActivityType")
    for activity in ActivityType.objects.all():
        if CONFIRMED.get(activity.code) == activity.max_advance_percent and (
            activity.advance_legal_basis == TT36
        ):
            activity.advance_confirmed = True
        elif activity.max_advance_percent is None:
            activity.max_advance_percent = UNCONFIRMED_PERCENT
            activity.advance_legal_basis = UNCONFIRMED_BASIS
            activity.advance_confirmed = False
        activity.save()
    LegalDeadline = apps.get_model("projects", "LegalDeadline")
    for values in DEADLINES:
        LegalDeadline.objects.get_or_create(code=values["code"], defaults=values)
    Project = apps.get_model("projects", "Project")
    ProjectEvent = apps.get_model("projects", "ProjectEvent")
    first_submissions = (
        ProjectEvent.objects.filter(action="submit")
        .values("project_id")
        .annotate(first=models.Min("at"))
    )
    last_requests = (
        ProjectEvent.objects.filter(action="request_acceptance")
        .values("project_id")
        .annotate(last=models.Max("at"))
    )
    for row in last_requests:
        Project.objects.filter(pk=row["project_id"]).update(
            acceptance_requested_on=timezone.localtime(row["last"]).date()
        )
    for row in first_submissions:
        Project.objects.filter(pk=row["project_id"], submitted_on=None).update(
            submitted_on=timezone.localtime(row["first"]).date()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0003_history_reference_data"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalproject",
            name="acceptance_requested_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="ngày đề nghị nghiệm thu"
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="acceptance_requested_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="ngày đề nghị nghiệm thu"
            ),
        ),
        migrations.AddField(
            model_name="activitytype",
            name="advance_confirmed",
            field=models.BooleanField(
                default=False,
                help_text="Bỏ chọn khi mức tạm ứng là mức mặc định thận trọng, chưa đối chiếu với văn bản.",
                verbose_name="mức tạm ứng đã xác nhận",
            ),
        ),
        migrations.AddField(
            model_name="historicalactivitytype",
            name="advance_confirmed",
            field=models.BooleanField(
                default=False,
                help_text="Bỏ chọn khi mức tạm ứng là mức mặc định thận trọng, chưa đối chiếu với văn bản.",
                verbose_name="mức tạm ứng đã xác nhận",
            ),
        ),
        migrations.AddField(
            model_name="historicalproject",
            name="registered_late",
            field=models.BooleanField(default=False, editable=False, verbose_name="đăng ký muộn"),
        ),
        migrations.AddField(
            model_name="historicalproject",
            name="submitted_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="ngày nộp đề án"
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="registered_late",
            field=models.BooleanField(default=False, editable=False, verbose_name="đăng ký muộn"),
        ),
        migrations.AddField(
            model_name="project",
            name="submitted_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="ngày nộp đề án"
            ),
        ),
        migrations.CreateModel(
            name="LegalDeadline",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.CharField(
                        choices=[
                            ("settlement", "Hạn thanh lý hợp đồng, quyết toán"),
                            ("national_registration", "Hạn đăng ký đề án khuyến công quốc gia"),
                        ],
                        max_length=40,
                        unique=True,
                        verbose_name="mã",
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="tên thời hạn")),
                (
                    "day",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(31),
                        ],
                        verbose_name="ngày",
                    ),
                ),
                (
                    "month",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(12),
                        ],
                        verbose_name="tháng",
                    ),
                ),
                (
                    "anchor",
                    models.CharField(
                        choices=[
                            ("acceptance", "năm nghiệm thu"),
                            ("plan", "năm kế hoạch của đề án"),
                        ],
                        max_length=20,
                        verbose_name="tính theo",
                    ),
                ),
                (
                    "year_offset",
                    models.SmallIntegerField(
                        help_text="1: năm sau năm tính theo; -1: năm trước năm tính theo.",
                        verbose_name="số năm cộng thêm",
                    ),
                ),
                ("legal_basis", models.CharField(max_length=255, verbose_name="căn cứ pháp lý")),
                (
                    "confirmed",
                    models.BooleanField(
                        default=False,
                        help_text="Bỏ chọn nếu căn cứ pháp lý chưa được đối chiếu với văn bản gốc.",
                        verbose_name="đã xác nhận căn cứ",
                    ),
                ),
                (
                    "remind_before_days",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Danh sách số ngày nhắc trước hạn, ví dụ [30, 7, 1].",
                        verbose_name="nhắc trước (ngày)",
                    ),
                ),
            ],
            options={
                "verbose_name": "thời hạn theo quy định",
                "verbose_name_plural": "thời hạn theo quy định",
                "ordering": ["code"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("day__gte", 1), ("day__lte", 31), ("month__gte", 1), ("month__lte", 12)
                        ),
                        name="deadline_day_month_sane",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="RuleException",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "rule",
                    models.CharField(
                        choices=[
                            ("advance_limit", "Giải ngân vượt mức tạm ứng trước nghiệm thu"),
                            ("acceptance_progress", "Đề nghị nghiệm thu khi chưa đủ tiến độ"),
                        ],
                        max_length=40,
                        verbose_name="quy tắc",
                    ),
                ),
                (
                    "amount",
                    models.BigIntegerField(
                        blank=True,
                        help_text="Tổng giải ngân được phép trước nghiệm thu (chỉ với quy tắc tạm ứng).",
                        null=True,
                        verbose_name="số tiền được phép (đồng)",
                    ),
                ),
                ("reason", models.TextField(verbose_name="lý do")),
                ("granted_at", models.DateTimeField(auto_now_add=True, verbose_name="thời điểm")),
                (
                    "granted_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="người cho phép",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rule_exceptions",
                        to="projects.project",
                    ),
                ),
            ],
            options={
                "verbose_name": "ngoại lệ quy tắc",
                "verbose_name_plural": "ngoại lệ quy tắc",
                "ordering": ["-granted_at", "-pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("amount__isnull", True), ("amount__gt", 0), _connector="OR"
                        ),
                        name="rule_exception_amount_positive",
                    )
                ],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
