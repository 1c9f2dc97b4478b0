"""Forms of the application screens: the application, the workflow actions, documents and
comments.

Business rules live in workflow.py and norms.py beside this file and in
projects/planning/budget.py; the forms only turn what a user typed into clean values and say, in
Vietnamese, what is wrong and what is allowed.
"""

from pathlib import Path

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilities.models import Facility
from khuyencong import access
from khuyencong.forms import (
    LocalityChoiceField,
    MoneyField,
    PastDateField,
    UserChoiceField,
    YearField,
    bound_numbers,
    date_fields,
    offer_todays_unit,
)
from khuyencong.models import Role, User
from khuyencong.money import format_vnd
from projects.models import (
    ActivityType,
    Allocation,
    Comment,
    DeadlineCode,
    FundingSource,
    LegalDeadline,
    Project,
    ProjectDocument,
)
from projects.planning import budget


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.locality.name})"


# --- the application ------------------------------------------------------------------------

OUTCOME_INPUTS = [
    "expected_jobs_created",
    "expected_people_trained",
    "expected_employed_after_training",
    "expected_managers_trained",
    "expected_machines_installed",
    "expected_fair_participations",
]


class ProjectForm(forms.ModelForm):
    """The application itself; workflow fields (status, appraisal, approval…) are not here."""

    total_cost = MoneyField(label=_("Tổng kinh phí (đồng)"))
    requested_support = MoneyField(label=_("Kinh phí khuyến công đề nghị hỗ trợ (đồng)"))
    counterpart_funds = MoneyField(
        label=_("Vốn đối ứng (đồng)"), required=False, help_text=_("Của đơn vị thụ hưởng.")
    )
    other_funds = MoneyField(label=_("Nguồn khác (đồng)"), required=False)
    year = YearField(label=_("Năm kế hoạch"))

    class Meta:
        model = Project
        fields = [
            "title",
            "activity_type",
            "funding_source",
            "year",
            "facility",
            "locality",
            "implementing_unit",
            "description",
            "total_cost",
            "requested_support",
            "counterpart_funds",
            "other_funds",
            "start_date",
            "end_date",
            *OUTCOME_INPUTS,
            "expected_other",
            "responsible_officer",
        ]
        field_classes = {
            **date_fields("start_date", "end_date"),
            "facility": FacilityChoiceField,
            "locality": LocalityChoiceField,
            "responsible_officer": UserChoiceField,
        }
        widgets = {
            "title": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "expected_other": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "facility": _("Đơn vị thụ hưởng (cơ sở CNNT)"),
            "locality": _("Địa bàn thực hiện"),
        }
        help_texts = {
            "locality": _("Để trống thì lấy địa bàn của đơn vị thụ hưởng."),
        }

    def __init__(self, *args, user: User, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.today = today or timezone.localdate()
        instance = self.instance
        fields = self.fields
        fields["facility"].queryset = access.scope_by_locality(
            Facility.objects.select_related("locality"), user
        ).order_by("name")
        fields["locality"].queryset = access.localities_for(user)
        fields["locality"].required = False
        offer_todays_unit(self)
        fields["activity_type"].queryset = ActivityType.objects.filter(
            Q(is_active=True) | Q(pk=instance.activity_type_id)
        )
        # Centre staff, and the officer filling in the form (a district officer often follows
        # his own project); never the technical superuser account, whatever its role.
        fields["responsible_officer"].queryset = User.objects.filter(
            Q(role=Role.CENTRE_STAFF, is_active=True, is_superuser=False)
            | Q(pk=user.pk if access.can_edit(user) and not user.is_superuser else None)
            | Q(pk=instance.responsible_officer_id)
        ).order_by("full_name", "username")
        if not instance.pk:
            fields["year"].initial = self.today.year
            if user.role == Role.CENTRE_STAFF:
                fields["responsible_officer"].initial = user.pk
        for name in OUTCOME_INPUTS:
            fields[name].required = False
            fields[name].widget.attrs["min"] = 0
        bound_numbers(self)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def registration_notice(self) -> dict | None:
        """The national registration deadline for the year on the form (LegalDeadline data):
        the due date, its legal basis, whether a national source is chosen, and whether filing
        today would be late (the project is then flagged "đăng ký muộn" when submitted)."""
        rule = LegalDeadline.lookup(DeadlineCode.NATIONAL_REGISTRATION)
        if rule is None:
            return None
        year, source = self.instance.year, self.instance.funding_source_id
        if self.is_bound:
            year = _int_or_none(self.data.get("year")) or year
            source = _int_or_none(self.data.get("funding_source")) or source
        year = year or self.fields["year"].initial
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            return None
        due = rule.due_for(year)
        national = (
            bool(source) and FundingSource.objects.filter(pk=source, is_national=True).exists()
        )
        filed = self.instance.submitted_on or self.today
        return {
            "year": year,
            "due": due,
            "rule": rule,
            "national": national,
            "late": filed > due,
        }

    def clean(self):
        data = super().clean()
        facility, locality = data.get("facility"), data.get("locality")
        if locality is None and "locality" not in self.errors:
            if facility is not None:
                # A facility registered before a reorganisation: file under today's unit.
                data["locality"] = facility.locality.today
            else:
                self.add_error(
                    "locality",
                    _(
                        "Chọn địa bàn thực hiện, hoặc chọn đơn vị thụ hưởng để lấy địa bàn "
                        "của cơ sở."
                    ),
                )
        for name in ("counterpart_funds", "other_funds", *OUTCOME_INPUTS):
            if name not in self.errors and data.get(name) is None:
                data[name] = 0
        # A request above the norm is not an error here: the application is saved as a draft
        # marked for the manager (workflow.edit_project), and submitting waits for an override.
        self._check_funds_add_up(data)
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error(
                "end_date",
                _("Ngày kết thúc (%(end)s) phải trùng hoặc sau ngày bắt đầu (%(start)s).")
                % {"end": f"{end:%d/%m/%Y}", "start": f"{start:%d/%m/%Y}"},
            )
        return data

    def _check_funds_add_up(self, data):
        parts = [data.get(n) for n in ("requested_support", "counterpart_funds", "other_funds")]
        total = data.get("total_cost")
        if total is None or any(p is None for p in parts):
            return
        if sum(parts) != total:
            self.add_error(
                "total_cost",
                _(
                    "Tổng kinh phí %(total)s phải bằng kinh phí khuyến công đề nghị hỗ trợ + "
                    "vốn đối ứng + nguồn khác (hiện là %(sum)s)."
                )
                % {"total": format_vnd(total), "sum": format_vnd(sum(parts))},
            )

    def project_fields(self) -> dict:
        """Cleaned values as keyword arguments for workflow.create_project."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


# --- workflow actions -----------------------------------------------------------------------


def reason_field(label, help_text=""):
    return forms.CharField(
        label=label, widget=forms.Textarea(attrs={"rows": 3}), help_text=help_text, max_length=4000
    )


class ActionForm(forms.Form):
    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.helper = FormHelper()
        self.helper.form_tag = False
        bound_numbers(self)


class SubmitForm(ActionForm):
    comment = forms.CharField(
        label=_("Ghi chú gửi kèm"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
    )


class ReturnForm(ActionForm):
    reason = reason_field(_("Lý do trả lại"), _("Nêu rõ hồ sơ cần bổ sung, sửa đổi những gì."))


class AppraiseForm(ActionForm):
    recommended_amount = MoneyField(label=_("Kinh phí đề xuất hỗ trợ (đồng)"))
    opinion = reason_field(_("Ý kiến thẩm định"))
    no_conflict = forms.BooleanField(
        label=_("Tôi cam kết không có xung đột lợi ích với đề án và đơn vị thụ hưởng."),
        error_messages={
            "required": _("Người thẩm định phải cam kết không có xung đột lợi ích với đề án này.")
        },
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, project=project, **kwargs)
        self.fields["recommended_amount"].initial = project.requested_support
        self.fields["recommended_amount"].help_text = _(
            "Không vượt kinh phí đề nghị hỗ trợ (%(amount)s)."
        ) % {"amount": format_vnd(project.requested_support)}


class AllocationChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, remaining: dict, **kwargs):
        self.remaining = remaining
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return _("%(decision)s ngày %(date)s – còn lại %(remaining)s") % {
            "decision": obj.decision_number,
            "date": f"{obj.decision_date:%d/%m/%Y}",
            "remaining": format_vnd(self.remaining.get(obj.pk, 0)),
        }


class ApproveForm(ActionForm):
    decision_number = forms.CharField(label=_("Số quyết định"), max_length=60)
    decision_date = PastDateField(label=_("Ngày quyết định"))
    approved_amount = MoneyField(label=_("Kinh phí được phê duyệt (đồng)"))
    comment = forms.CharField(
        label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, project=project, **kwargs)
        allocations = list(
            Allocation.objects.for_list().filter(
                funding_source_id=project.funding_source_id, year=project.year
            )
        )
        figures = budget.allocation_figures(allocations)
        remaining = {pk: f.remaining for pk, f in figures.items()}
        self.fields["allocation"] = AllocationChoiceField(
            queryset=Allocation.objects.filter(pk__in=[a.pk for a in allocations]),
            remaining=remaining,
            label=_("Kinh phí được giao (nguồn dự toán)"),
            empty_label=None if len(allocations) == 1 else "---------",
            help_text=_("Kinh phí %(source)s năm %(year)s.")
            % {"source": project.funding_source.code, "year": project.year}
            if allocations
            else _(
                "Chưa có kinh phí được giao cho nguồn %(source)s năm %(year)s: "
                "hãy nhập quyết định giao dự toán trước khi phê duyệt."
            )
            % {"source": project.funding_source.code, "year": project.year},
        )
        self.order_fields(["decision_number", "decision_date", "approved_amount", "allocation"])
        self.fields["decision_date"].initial = timezone.localdate()
        self.fields["approved_amount"].initial = (
            project.recommended_amount or project.requested_support
        )


class RejectForm(ActionForm):
    reason = reason_field(_("Lý do không phê duyệt"))


class CancelForm(ActionForm):
    reason = reason_field(_("Lý do hủy đề án"))


class NormOverrideForm(ActionForm):
    amount = MoneyField(label=_("Cho phép kinh phí hỗ trợ đến (đồng)"))
    reason = reason_field(
        _("Lý do phê duyệt vượt định mức"),
        _("Lý do được lưu vào hồ sơ đề án và lịch sử thay đổi."),
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, project=project, **kwargs)
        # The request as the manager sees it now: what is allowed is this figure, not whatever
        # the request has become by the time the form is sent.
        self.fields["amount"].initial = project.requested_support
        self.fields["amount"].help_text = _(
            "Kinh phí đề nghị hiện nay: %(requested)s; mức tối đa theo định mức: %(limit)s. "
            "Đề án được nộp, thẩm định và phê duyệt với kinh phí không quá mức cho phép; "
            "nâng kinh phí cao hơn thì phải phê duyệt vượt định mức lại."
        ) % {
            "requested": format_vnd(project.requested_support),
            "limit": format_vnd(project.norm_limit) if project.norm_limit is not None else "—",
        }


# --- documents and comments -----------------------------------------------------------------

# Extension → the leading bytes its content must start with.
PDF, OLE, ZIP, JPEG, PNG = (
    (b"%PDF",),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    (b"PK\x03\x04",),
    (b"\xff\xd8\xff",),
    (b"\x89PNG\r\n\x1a\n",),
)
ALLOWED_UPLOADS = {
    "pdf": PDF,
    "doc": OLE,
    "xls": OLE,
    "docx": ZIP,
    "xlsx": ZIP,
    "odt": ZIP,
    "ods": ZIP,
    "jpg": JPEG,
    "jpeg": JPEG,
    "png": PNG,
}


def check_upload(upload):
    """The file as uploaded, or a Vietnamese ValidationError: allowed type, size, real content."""
    name = Path(upload.name).name
    extension = Path(name).suffix.lower().removeprefix(".")
    if extension not in ALLOWED_UPLOADS:
        raise forms.ValidationError(
            _(
                "Không nhận tệp “%(name)s”. Chỉ nhận tệp PDF, Word (.doc, .docx), "
                "Excel (.xls, .xlsx), OpenDocument (.odt, .ods) và ảnh (.jpg, .jpeg, .png)."
            )
            % {"name": name}
        )
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if upload.size > limit:
        raise forms.ValidationError(
            _("Tệp “%(name)s” nặng %(size)s MB, vượt giới hạn %(limit)s MB.")
            % {
                "name": name,
                "size": f"{upload.size / 1024 / 1024:.1f}".replace(".", ","),
                "limit": settings.MAX_UPLOAD_MB,
            }
        )
    if upload.size == 0:
        raise forms.ValidationError(_("Tệp “%(name)s” rỗng.") % {"name": name})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(ALLOWED_UPLOADS[extension]):
        raise forms.ValidationError(
            _(
                "Nội dung tệp “%(name)s” không phải tệp .%(ext)s thật (có thể tệp đã bị "
                "đổi đuôi). Hãy tải lên đúng tệp gốc."
            )
            % {"name": name, "ext": extension}
        )
    return upload


class DocumentForm(forms.ModelForm):
    class Meta:
        model = ProjectDocument
        fields = ["kind", "file", "note"]
        widgets = {
            "file": forms.ClearableFileInput(
                attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED_UPLOADS)}
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "PDF, Word, Excel, OpenDocument hoặc ảnh JPG/PNG; tối đa %(mb)s MB."
        ) % {"mb": settings.MAX_UPLOAD_MB}
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_file(self):
        return check_upload(self.cleaned_data["file"])


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}
        labels = {"text": _("Ý kiến của bạn")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


def _int_or_none(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
