"""Forms of the close-out screens: contract start, acceptance request and settlement (workflow
actions), and the work that leaves the state as it is: monitoring visits, follow-up actions,
progress reports, disbursements, acceptance reviews and their outcome.

The rules are in steps.py and disbursements.py beside this file; a form only turns what was typed
into clean values, says in Vietnamese what is wrong on the field, and calls the rule in `save()`.
Lists of people are read once per page (`People`), whatever the number of rows that offer them.
"""

import datetime
from functools import cached_property

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from khuyencong import access
from khuyencong.forms import DateField, MoneyField, PastDateField, bound_numbers
from khuyencong.localities import covering_ids
from khuyencong.models import Role, User
from khuyencong.money import format_vnd
from projects.applications.forms import ActionForm, check_upload
from projects.closeout import disbursements, schedule, steps
from projects.models import (
    OUTCOME_FIELDS,
    AcceptanceOutcome,
    AcceptanceReview,
    DisbursementKind,
    DocumentKind,
    ExceptionRule,
    FollowUpAction,
    Project,
    ProjectDocument,
)
from projects.models.closeout import ACCEPTANCE_CHECKLIST

TEXTAREA = {"rows": 2}


def dmy(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


# --- people ---------------------------------------------------------------------------------


class People:
    """The users a project's forms offer, each list read at most once."""

    def __init__(self, project: Project):
        self.project = project

    @cached_property
    def _active(self) -> list[User]:
        """Every active user with their localities, in the order of the lists: both lists are
        cut from it (one reading of the users for both)."""
        return list(
            User.objects.filter(is_active=True)
            .prefetch_related("localities")
            .order_by("full_name", "username")
        )

    @cached_property
    def editors(self) -> list[User]:
        """Who may visit the project or own a follow-up action: editors who see its locality."""
        # Officers whose localities hold the project's: above it, or after it (a merger).
        covering = covering_ids(self.project.locality_id)
        return [
            user
            for user in self._active
            if access.can_edit(user)
            and (
                user.is_superuser
                or user.role in (Role.CENTRE_STAFF, Role.MANAGER)
                or (
                    user.role == Role.DISTRICT_OFFICER
                    and any(locality.pk in covering for locality in user.localities.all())
                )
            )
        ]

    @cached_property
    def active_users(self) -> list[User]:
        """Portal users who may sit on an acceptance council."""
        # Not the technical superuser account: it administers the portal, it sits on no council.
        return [user for user in self._active if not user.is_superuser]


def person_label(user: User) -> str:
    # Kept on the user read for this request, per language: each row of a dialog offers every
    # person again (the project page wrote some 125 labels for 25 people).
    language = get_language()
    kept = user.__dict__.get("_person_label")
    if kept is not None and kept[0] == language:
        return kept[1]
    names = (
        [loc.name for loc in user.localities.all()] if user.role == Role.DISTRICT_OFFICER else []
    )
    where = f", {', '.join(names)}" if names else ""
    label = f"{user.display_name} ({user.get_role_display()}{where})"
    user._person_label = (language, label)
    return label


class PersonField(forms.ChoiceField):
    """One of a given list of users; cleans to the User (no query)."""

    default_error_messages = {
        "invalid_choice": gettext_lazy("Người được chọn không có trong danh sách cho phép."),
    }

    def __init__(self, *, people=(), **kwargs):
        super().__init__(**kwargs)
        self.set_people(people)

    def set_people(self, people):
        self.people = {str(user.pk): user for user in people}
        self.choices = [("", "---------")] + [
            (key, person_label(user)) for key, user in self.people.items()
        ]

    def clean(self, value):
        value = super().clean(value)
        return self.people.get(str(value)) if value else None


class PeopleField(forms.MultipleChoiceField):
    """Several users of a given list; cleans to a list of Users (no query)."""

    widget = forms.CheckboxSelectMultiple
    default_error_messages = {
        "invalid_choice": gettext_lazy("Người được chọn không có trong danh sách cho phép."),
    }

    def set_people(self, people):
        self.people = {str(user.pk): user for user in people}
        self.choices = [(key, person_label(user)) for key, user in self.people.items()]

    def clean(self, value):
        return [self.people[key] for key in super().clean(value)]


def whole_field(label, **kwargs):
    return forms.IntegerField(
        label=label,
        min_value=0,
        required=False,
        error_messages={
            "invalid": gettext_lazy("Nhập số nguyên không âm."),
            "min_value": gettext_lazy("Không được nhỏ hơn 0."),
        },
        **kwargs,
    )


def percent_field():
    return forms.IntegerField(
        label=gettext_lazy("Tiến độ thực hiện (%)"),
        min_value=0,
        max_value=100,
        error_messages={
            "invalid": gettext_lazy("Nhập tiến độ bằng số nguyên từ 0 đến 100."),
            "min_value": gettext_lazy("Tiến độ là số nguyên từ 0 đến 100."),
            "max_value": gettext_lazy("Tiến độ là số nguyên từ 0 đến 100."),
        },
    )


def cell_widgets(form: forms.Form) -> None:
    """Formset rows show their fields in table cells: small inputs, the header as the label."""
    for field in form.fields.values():
        select = isinstance(field.widget, forms.Select)
        field.widget.attrs["class"] = (
            "form-select form-select-sm" if select else ("form-control form-control-sm")
        )
        field.widget.attrs["aria-label"] = str(field.label)


def with_management(data, prefix: str):
    """POST data that may lack a formset's management fields (then: no rows)."""
    if data is None or f"{prefix}-TOTAL_FORMS" in data:
        return data
    data = data.copy()
    data[f"{prefix}-TOTAL_FORMS"] = "0"
    data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


# --- workflow actions (the detail page's buttons) -------------------------------------------


class StartForm(ActionForm):
    contract_number = forms.CharField(label=gettext_lazy("Số hợp đồng"), max_length=60)
    contract_date = PastDateField(label=gettext_lazy("Ngày ký hợp đồng"))
    report_every_months = forms.IntegerField(
        label=gettext_lazy("Kỳ báo cáo tiến độ (tháng)"),
        required=False,
        min_value=1,
        max_value=12,
        error_messages={
            "invalid": gettext_lazy("Nhập số tháng từ 1 đến 12, hoặc để trống."),
            "min_value": gettext_lazy("Kỳ báo cáo tiến độ từ 1 đến 12 tháng."),
            "max_value": gettext_lazy("Kỳ báo cáo tiến độ từ 1 đến 12 tháng."),
        },
    )
    comment = forms.CharField(
        label=gettext_lazy("Ghi chú"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, project=project, **kwargs)
        self.fields["contract_date"].initial = timezone.localdate()
        self.fields["report_every_months"].help_text = _(
            "Để trống để dùng kỳ mặc định %(months)s tháng."
        ) % {"months": settings.PROGRESS_REPORT_EVERY_MONTHS}


class RequestAcceptanceForm(ActionForm):
    comment = forms.CharField(
        label=gettext_lazy("Ghi chú gửi kèm"),
        required=False,
        help_text=gettext_lazy("Ví dụ: kết quả đã thực hiện, hồ sơ đã chuẩn bị cho nghiệm thu."),
        widget=forms.Textarea(attrs=TEXTAREA),
        max_length=4000,
    )


class GrantExceptionForm(ActionForm):
    rule = forms.ChoiceField(label=gettext_lazy("Quy tắc"), choices=ExceptionRule.choices)
    amount = MoneyField(
        label=gettext_lazy("Tổng giải ngân được phép trước nghiệm thu (đồng)"),
        required=False,
        help_text=gettext_lazy("Chỉ với quy tắc tạm ứng: không vượt kinh phí được phê duyệt."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Lý do"),
        help_text=gettext_lazy("Lý do được lưu vào hồ sơ đề án và diễn biến đề án."),
        widget=forms.Textarea(attrs=TEXTAREA),
        max_length=4000,
    )


class SettleForm(ActionForm):
    settled_amount = MoneyField(label=gettext_lazy("Kinh phí quyết toán (đồng)"))
    decision_number = forms.CharField(
        label=gettext_lazy("Số quyết định phê duyệt quyết toán"), max_length=60
    )
    settled_on = PastDateField(label=gettext_lazy("Ngày quyết toán"))
    comment = forms.CharField(
        label=gettext_lazy("Ghi chú"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, project=project, **kwargs)
        figures = disbursements.project_money(project)
        self.figures = figures
        self.fields["settled_on"].initial = timezone.localdate()
        self.fields["settled_amount"].initial = figures.disbursed or figures.approved
        self.fields["settled_amount"].help_text = _(
            "Kinh phí được phê duyệt %(approved)s; đã giải ngân %(disbursed)s. Quyết toán từ "
            "%(disbursed)s đến %(approved)s; phần chưa dùng được hoàn trả dự toán."
        ) % {
            "approved": format_vnd(figures.approved),
            "disbursed": format_vnd(figures.disbursed),
        }

    def clean(self):
        data = super().clean()
        # Every refusal of the rule at once, each under its field (settle re-checks them all
        # under the project lock). A field Django already refused is not judged again.
        refusals = steps.settlement_refusals(
            project=self.project,
            settled_amount=data.get("settled_amount"),
            decision_number=data.get("decision_number"),
            settled_on=data.get("settled_on"),
            disbursed=self.figures.disbursed,
            today=timezone.localdate(),
        )
        for field, message in refusals.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data


# --- tasks ----------------------------------------------------------------------------------


class TaskForm(forms.Form):
    """A form that records work on a project through a rule function (`save`)."""

    slug = "task"
    template = "projects/closeout/_fields.html"

    def __init__(self, data=None, files=None, *, project, user, people=None, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.slug}_%s")
        super().__init__(data, files, **kwargs)
        self.project = project
        self.user = user
        self.people = people or People(project)
        self.helper = FormHelper()
        self.helper.form_tag = False
        bound_numbers(self)

    def save(self):
        raise NotImplementedError

    def success_message(self, result) -> str:
        raise NotImplementedError


class FollowUpRowForm(forms.Form):
    description = forms.CharField(
        label=gettext_lazy("Việc cần khắc phục"), required=False, max_length=2000
    )
    owner = PersonField(label=gettext_lazy("Người chịu trách nhiệm"), required=False)
    due_date = DateField(label=gettext_lazy("Hạn hoàn thành"), required=False)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].set_people(people)
        cell_widgets(self)
        bound_numbers(self)

    def clean(self):
        data = super().clean()
        if self.errors or not any(data.get(name) for name in self.fields):
            return data
        if not (data.get("description") or "").strip():
            self.add_error("description", _("Hãy nhập nội dung việc cần khắc phục."))
        if data.get("owner") is None:
            self.add_error("owner", _("Hãy chọn người chịu trách nhiệm khắc phục."))
        if data.get("due_date") is None:
            self.add_error("due_date", _("Hãy nhập hạn hoàn thành (dd/mm/yyyy)."))
        return data

    @property
    def filled(self) -> bool:
        return bool(self.cleaned_data and (self.cleaned_data.get("description") or "").strip())


FollowUpFormSet = forms.formset_factory(FollowUpRowForm, extra=2)


class VisitForm(TaskForm):
    slug = "visit"
    template = "projects/closeout/_visit_fields.html"
    task = steps.RECORD_VISIT

    date = PastDateField(label=gettext_lazy("Ngày kiểm tra"))
    place = forms.CharField(label=gettext_lazy("Địa điểm"), max_length=255)
    officers = PeopleField(label=gettext_lazy("Cán bộ kiểm tra"))
    other_participants = forms.CharField(
        label=gettext_lazy("Thành phần khác"), required=False, max_length=255
    )
    progress_percent = percent_field()
    findings = forms.CharField(
        label=gettext_lazy("Nội dung phát hiện"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    problems = forms.CharField(
        label=gettext_lazy("Khó khăn, vướng mắc"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )

    def __init__(self, data=None, files=None, **kwargs):
        super().__init__(data, files, **kwargs)
        editors = self.people.editors
        self.fields["officers"].set_people(editors)
        self.fields["officers"].error_messages["required"] = _(
            "Hãy chọn ít nhất một cán bộ kiểm tra."
        )
        self.fields["date"].initial = timezone.localdate()
        project = self.project
        self.fields["place"].initial = (
            project.facility.address if project.facility_id and project.facility.address else ""
        ) or project.locality.full_name
        if self.user in editors:
            self.fields["officers"].initial = [str(self.user.pk)]
        self.rows = FollowUpFormSet(
            with_management(data, "actions"),
            prefix="actions",
            form_kwargs={"people": editors},
            auto_id="id_visit_%s",
        )

    def is_valid(self):
        return all([super().is_valid(), self.rows.is_valid()])

    def save(self):
        data = self.cleaned_data
        actions = [
            (
                row.cleaned_data["description"],
                row.cleaned_data["owner"],
                row.cleaned_data["due_date"],
            )
            for row in self.rows
            if row.filled
        ]
        return steps.record_visit(
            project=self.project,
            by=self.user,
            date=data["date"],
            place=data["place"],
            progress_percent=data["progress_percent"],
            findings=data["findings"],
            problems=data["problems"],
            officers=data["officers"],
            other_participants=data["other_participants"],
            actions=actions,
        )

    def success_message(self, visit) -> str:
        count = visit.actions.count()
        return _(
            "Đã ghi nhận kiểm tra, giám sát ngày %(date)s (tiến độ %(progress)s%%, "
            "%(count)s việc cần khắc phục)."
        ) % {"date": dmy(visit.date), "progress": visit.progress_percent, "count": count}


class CompleteActionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Kết quả khắc phục"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ProgressReportForm(TaskForm):
    slug = "report"
    task = steps.FILE_REPORT

    period = forms.ChoiceField(label=gettext_lazy("Kỳ báo cáo"))
    progress_percent = percent_field()
    money_spent = MoneyField(label=gettext_lazy("Kinh phí đã sử dụng (đồng)"))
    problems = forms.CharField(
        label=gettext_lazy("Khó khăn, vướng mắc"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    content = forms.CharField(
        label=gettext_lazy("Nội dung báo cáo"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, data=None, files=None, *, periods=None, **kwargs):
        super().__init__(data, files, **kwargs)
        if periods is None:
            periods = schedule.report_periods(self.project, timezone.localdate())
        self.open_periods = {p.start.isoformat(): p for p in periods if p.report is None}
        field = self.fields["period"]
        field.choices = [
            (
                key,
                _("Kỳ %(n)s: %(start)s – %(end)s (%(state)s)")
                % {
                    "n": p.number,
                    "start": dmy(p.start),
                    "end": dmy(p.end),
                    "state": _("quá hạn, chưa nộp")
                    if p.missing
                    else _("hạn nộp %(due)s") % {"due": dmy(p.due)},
                },
            )
            for key, p in self.open_periods.items()
        ]
        field.error_messages["required"] = _("Hãy chọn kỳ báo cáo.")
        field.error_messages["invalid_choice"] = _(
            "Kỳ báo cáo này không có trong lịch báo cáo của đề án, hoặc đã có báo cáo."
        )
        if self.open_periods:
            # The oldest missing period first: that is the one overdue.
            field.initial = next(iter(self.open_periods))
        else:
            field.help_text = _("Không có kỳ báo cáo nào đang chờ nộp.")

    def save(self):
        data = self.cleaned_data
        period = self.open_periods[data["period"]]
        return steps.file_progress_report(
            project=self.project,
            by=self.user,
            period_start=period.start,
            period_end=period.end,
            progress_percent=data["progress_percent"],
            money_spent=data["money_spent"],
            problems=data["problems"],
            content=data["content"],
        )

    def success_message(self, report) -> str:
        return _("Đã nộp báo cáo tiến độ kỳ %(start)s – %(end)s.") % {
            "start": dmy(report.period_start),
            "end": dmy(report.period_end),
        }


class DisbursementForm(TaskForm):
    slug = "disburse"
    task = disbursements.DISBURSE

    kind = forms.ChoiceField(
        label=gettext_lazy("Loại"), choices=DisbursementKind.choices, widget=forms.RadioSelect
    )
    date = PastDateField(label=gettext_lazy("Ngày chi"))
    amount = MoneyField(label=gettext_lazy("Số tiền (đồng)"))
    voucher_number = forms.CharField(label=gettext_lazy("Số chứng từ"), max_length=60)
    note = forms.CharField(label=gettext_lazy("Ghi chú"), required=False, max_length=255)

    def __init__(self, data=None, files=None, *, figures=None, **kwargs):
        super().__init__(data, files, **kwargs)
        figures = figures or disbursements.project_money(self.project)
        limit = disbursements.advance_limit(self.project)
        self.fields["date"].initial = timezone.localdate()
        # Always "Thanh toán": most khuyến công money is paid against invoices and acceptance
        # papers, and an advance is the exception a centre accountant chooses on purpose (it
        # uses up the activity's advance limit and must be settled later). A default of
        # "Tạm ứng" for the first row made payments be booked as advances by mistake.
        self.fields["kind"].initial = DisbursementKind.PAYMENT
        hint = _("Còn được giải ngân %(left)s (đã giải ngân %(disbursed)s / %(approved)s).") % {
            "left": format_vnd(figures.undisbursed),
            "disbursed": format_vnd(figures.disbursed),
            "approved": format_vnd(figures.approved),
        }
        if limit is not None:
            activity = self.project.activity_type
            hint += " " + _(
                "Tạm ứng tối đa %(percent)s%% (%(limit)s)%(basis)s; đã tạm ứng %(advanced)s."
            ) % {
                "percent": activity.max_advance_percent,
                "limit": format_vnd(limit),
                "basis": (" " + _("theo %(basis)s") % {"basis": activity.advance_legal_basis})
                if activity.advance_legal_basis
                else "",
                "advanced": format_vnd(figures.advanced),
            }
        self.fields["amount"].help_text = hint

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("Số tiền giải ngân phải lớn hơn 0 đồng."))
        return amount

    def clean_voucher_number(self):
        return _unused_voucher(self.project, self.cleaned_data["voucher_number"])

    def save(self):
        data = self.cleaned_data
        return disbursements.disburse(
            project=self.project,
            by=self.user,
            kind=data["kind"],
            date=data["date"],
            amount=data["amount"],
            voucher_number=data["voucher_number"],
            note=data["note"],
        )

    def success_message(self, disbursement) -> str:
        return _("Đã ghi nhận %(kind)s %(amount)s, chứng từ số %(voucher)s.") % {
            "kind": disbursement.get_kind_display().lower(),
            "amount": format_vnd(disbursement.amount),
            "voucher": disbursement.voucher_number,
        }


def council_members(rows) -> list[dict]:
    """The council as the rules take it, from the filled member rows of a review form: a
    portal user, or an outside member by name and organisation."""
    members = []
    for row in rows:
        if not row.filled:
            continue
        user = row.cleaned_data.get("user")
        members.append(
            {
                "user": user,
                "name": "" if user else row.cleaned_data.get("name"),
                "organisation": "" if user else row.cleaned_data.get("organisation"),
                "council_role": row.cleaned_data.get("council_role"),
            }
        )
    return members


class MemberRowForm(forms.Form):
    user = PersonField(label=gettext_lazy("Người dùng của hệ thống"), required=False)
    name = forms.CharField(label=gettext_lazy("Họ và tên"), required=False, max_length=150)
    organisation = forms.CharField(
        label=gettext_lazy("Đơn vị công tác"), required=False, max_length=200
    )
    council_role = forms.CharField(
        label=gettext_lazy("Vai trò trong hội đồng"), required=False, max_length=100
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].set_people(people)
        cell_widgets(self)
        bound_numbers(self)

    def clean(self):
        data = super().clean()
        if self.errors or not self.filled:
            return data
        if not (data.get("council_role") or "").strip():
            self.add_error(
                "council_role",
                _("Hãy nhập vai trò trong hội đồng (Chủ tịch, Thư ký, Ủy viên…)."),
            )
        if data.get("user") is not None:
            if (data.get("name") or "").strip():
                self.add_error(
                    "name",
                    _(
                        "Đã chọn người dùng thì không nhập họ tên; họ tên chỉ dành cho thành "
                        "viên bên ngoài."
                    ),
                )
        else:
            if not (data.get("name") or "").strip():
                self.add_error("name", _("Chọn người dùng, hoặc nhập họ tên thành viên bên ngoài."))
            if not (data.get("organisation") or "").strip():
                self.add_error("organisation", _("Hãy nhập đơn vị công tác của thành viên."))
        return data

    @property
    def filled(self) -> bool:
        data = self.cleaned_data or {}
        return bool(
            data.get("user") is not None
            or any(
                (data.get(name) or "").strip() for name in ("name", "organisation", "council_role")
            )
        )


MemberFormSet = forms.formset_factory(MemberRowForm, extra=4)


class ReviewScheduleForm(TaskForm):
    slug = "review"
    template = "projects/closeout/_review_fields.html"
    task = steps.SCHEDULE_REVIEW

    scheduled_date = DateField(label=gettext_lazy("Ngày nghiệm thu"))
    place = forms.CharField(label=gettext_lazy("Địa điểm"), max_length=255)
    checklist = forms.MultipleChoiceField(
        label=gettext_lazy("Hồ sơ đã có (danh mục kiểm tra)"),
        choices=ACCEPTANCE_CHECKLIST,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data=None, files=None, **kwargs):
        super().__init__(data, files, **kwargs)
        project = self.project
        self.fields["place"].initial = (
            project.facility.name if project.facility_id else project.locality.full_name
        )
        self.rows = MemberFormSet(
            with_management(data, "members"),
            prefix="members",
            form_kwargs={"people": self.people.active_users},
            auto_id="id_review_%s",
        )

    def is_valid(self):
        return all([super().is_valid(), self.rows.is_valid()])

    def save(self):
        data = self.cleaned_data
        members = council_members(self.rows)
        return steps.schedule_review(
            project=self.project,
            by=self.user,
            scheduled_date=data["scheduled_date"],
            place=data["place"],
            members=members,
            checklist={key: True for key in data["checklist"]},
        )

    def success_message(self, review) -> str:
        return _("Đã lập lịch nghiệm thu ngày %(date)s tại %(place)s.") % {
            "date": dmy(review.scheduled_date),
            "place": review.place,
        }


# Achieved figures asked for on the outcome form: (review field, project field or None).
ACHIEVED = [(f"achieved_{name}", f"expected_{name}") for name, _label in OUTCOME_FIELDS]


class ReviewOutcomeForm(TaskForm):
    slug = "outcome"
    template = "projects/closeout/_outcome_fields.html"
    task = steps.RECORD_OUTCOME

    outcome = forms.ChoiceField(
        label=gettext_lazy("Kết quả nghiệm thu"),
        choices=AcceptanceOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Hãy chọn kết quả nghiệm thu.")},
    )
    findings = forms.CharField(
        label=gettext_lazy("Nhận xét của hội đồng"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    counterpart_invested = MoneyField(
        label=gettext_lazy("Vốn đối ứng thực tế đã đầu tư (đồng)"), required=False
    )
    required_actions = forms.CharField(
        label=gettext_lazy("Nội dung cần bổ sung, hoàn thiện"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    follow_up_owner = PersonField(label=gettext_lazy("Người chịu trách nhiệm"), required=False)
    follow_up_due = DateField(label=gettext_lazy("Hạn hoàn thành"), required=False)
    minutes = forms.FileField(
        label=gettext_lazy("Biên bản nghiệm thu"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.doc,.docx,.odt,.jpg,.jpeg,.png"}),
    )

    def __init__(self, data=None, files=None, *, review: AcceptanceReview, **kwargs):
        kwargs.setdefault("auto_id", f"id_outcome{review.pk}_%s")
        super().__init__(data, files, **kwargs)
        self.review = review
        project = self.project
        for name, expected in ACHIEVED:
            label = AcceptanceReview._meta.get_field(name).verbose_name
            field = whole_field(str(label).capitalize())
            field.help_text = _("Dự kiến: %(value)s") % {"value": getattr(project, expected)}
            self.fields[name] = field
        self.fields["counterpart_invested"].help_text = _("Dự kiến: %(amount)s") % {
            "amount": format_vnd(project.counterpart_funds)
        }
        self.fields["follow_up_owner"].set_people(self.people.editors)
        self.fields["minutes"].help_text = _(
            "PDF, Word, OpenDocument hoặc ảnh; được lưu vào Hồ sơ, tài liệu của đề án (loại Biên "
            "bản)."
        )
        self.order_fields(
            [
                "outcome",
                "findings",
                *(name for name, _expected in ACHIEVED),
                "counterpart_invested",
                "required_actions",
                "follow_up_owner",
                "follow_up_due",
                "minutes",
            ]
        )

    def achieved_fields(self):
        return [self[name] for name, _expected in ACHIEVED] + [self["counterpart_invested"]]

    def clean_minutes(self):
        upload = self.cleaned_data.get("minutes")
        return check_upload(upload) if upload else None

    def clean(self):
        data = super().clean()
        for name, _expected in ACHIEVED:
            if name not in self.errors and data.get(name) is None:
                data[name] = 0
        if data.get("counterpart_invested") is None and "counterpart_invested" not in self.errors:
            data["counterpart_invested"] = 0
        trained = data.get("achieved_people_trained") or 0
        employed = data.get("achieved_employed_after_training") or 0
        if employed > trained:
            self.add_error(
                "achieved_employed_after_training",
                _(
                    "Số người có việc làm sau đào tạo (%(employed)s) không được lớn hơn số "
                    "người được đào tạo (%(trained)s)."
                )
                % {"employed": employed, "trained": trained},
            )
        outcome = data.get("outcome")
        if outcome and outcome != AcceptanceOutcome.ACCEPTED:
            needed = {
                "findings": _("Hãy nhập nhận xét của hội đồng nghiệm thu."),
                "required_actions": _(
                    "Hãy nêu nội dung cần bổ sung, hoàn thiện khi nghiệm thu chưa đạt."
                ),
                "follow_up_owner": _("Hãy chọn người chịu trách nhiệm bổ sung, hoàn thiện."),
                "follow_up_due": _("Hãy nhập hạn hoàn thành (dd/mm/yyyy)."),
            }
            for name, message in needed.items():
                value = data.get(name)
                if name not in self.errors and (value is None or str(value).strip() == ""):
                    self.add_error(name, message)
        return data

    def save(self):
        data = self.cleaned_data
        upload = data.get("minutes")
        with transaction.atomic():
            minutes = None
            if upload:
                minutes = ProjectDocument.objects.create(
                    project=self.project,
                    kind=DocumentKind.MINUTES,
                    file=upload,
                    original_name=upload.name.rsplit("/", 1)[-1][:255],
                    size=upload.size,
                    note=_("Biên bản nghiệm thu ngày %(date)s")
                    % {"date": dmy(self.review.scheduled_date)},
                    uploaded_by=self.user,
                )
            try:
                return steps.record_review_outcome(
                    review=self.review,
                    by=self.user,
                    outcome=data["outcome"],
                    findings=data["findings"],
                    required_actions=data["required_actions"],
                    follow_up_owner=data["follow_up_owner"],
                    follow_up_due=data["follow_up_due"],
                    minutes=minutes,
                    counterpart_invested=data["counterpart_invested"],
                    **{name: data[name] for name, _expected in ACHIEVED},
                )
            except Exception:
                # The row goes with the rollback; the stored file must go too.
                if minutes is not None:
                    minutes.file.delete(save=False)
                raise

    def success_message(self, review) -> str:
        return _("Đã ghi nhận kết quả nghiệm thu ngày %(date)s: %(outcome)s.") % {
            "date": dmy(review.scheduled_date),
            "outcome": review.get_outcome_display(),
        }


def follow_up_state(action: FollowUpAction, today: datetime.date) -> str:
    """cancelled, done, overdue or open."""
    if action.cancelled_at is not None:
        return "cancelled"
    if action.done_at is not None:
        return "done"
    return "overdue" if action.due_date < today else "open"


# --- corrections ----------------------------------------------------------------------------


def _unused_voucher(project: Project, voucher: str) -> str:
    """The voucher number, or a field error when the project already has it (the database
    constraint would refuse it too, as a page error instead of on the field)."""
    voucher = (voucher or "").strip()
    if voucher and project.disbursements.filter(voucher_number=voucher).exists():
        raise forms.ValidationError(
            _("Chứng từ số %(voucher)s đã được nhập cho đề án này.") % {"voucher": voucher}
        )
    return voucher


def reason_field(label=None):
    return forms.CharField(
        label=label or gettext_lazy("Lý do"),
        max_length=2000,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=gettext_lazy("Lý do được lưu vào lịch sử của đề án."),
        error_messages={"required": gettext_lazy("Hãy nêu lý do.")},
    )


class CorrectionMixin:
    """An edit form: the create form's fields, filled from `record`, plus a reason."""

    def success_message(self, result) -> str:
        return _("Đã lưu chỉnh sửa; lý do được ghi vào lịch sử của đề án.")


class ReviewEditForm(CorrectionMixin, ReviewScheduleForm):
    slug = "review_edit"
    template = "projects/closeout/_review_edit_fields.html"

    reason = reason_field(gettext_lazy("Lý do sửa"))

    def __init__(self, data=None, files=None, *, record: AcceptanceReview, **kwargs):
        self.record = record
        members = [
            {
                "user": str(m.user_id) if m.user_id else "",
                "name": m.name,
                "organisation": m.organisation,
                "council_role": m.council_role,
            }
            for m in record.members.all()
        ]
        super().__init__(data, files, **kwargs)
        self.initial = {
            "scheduled_date": record.scheduled_date,
            "place": record.place,
            "checklist": [key for key, present in record.checklist.items() if present],
        }
        self.rows = MemberFormSet(
            with_management(data, "members"),
            prefix="members",
            initial=members,
            form_kwargs={"people": self.people.active_users},
            auto_id="id_review_%s",
        )

    def save(self):
        data = self.cleaned_data
        members = council_members(self.rows)
        return steps.edit_review(
            review=self.record,
            by=self.user,
            reason=data["reason"],
            scheduled_date=data["scheduled_date"],
            place=data["place"],
            members=members,
            checklist={key: True for key in data["checklist"]},
        )


class VisitEditForm(CorrectionMixin, VisitForm):
    slug = "visit_edit"
    template = "projects/closeout/_fields.html"

    reason = reason_field(gettext_lazy("Lý do sửa"))

    def __init__(self, data=None, files=None, *, record, **kwargs):
        self.record = record
        super().__init__(data, files, **kwargs)
        self.initial = {
            "date": record.date,
            "place": record.place,
            "officers": [str(officer.pk) for officer in record.officers.all()],
            "other_participants": record.other_participants,
            "progress_percent": record.progress_percent,
            "findings": record.findings,
            "problems": record.problems,
        }

    def is_valid(self):
        # Follow-up actions are corrected one by one, not on this form.
        return forms.Form.is_valid(self)

    def save(self):
        data = self.cleaned_data
        return steps.edit_visit(
            visit=self.record,
            by=self.user,
            reason=data["reason"],
            date=data["date"],
            place=data["place"],
            progress_percent=data["progress_percent"],
            findings=data["findings"],
            problems=data["problems"],
            officers=data["officers"],
            other_participants=data["other_participants"],
        )


class FollowUpEditForm(CorrectionMixin, TaskForm):
    slug = "follow_up_edit"

    description = forms.CharField(
        label=gettext_lazy("Việc cần khắc phục"),
        max_length=2000,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    owner = PersonField(label=gettext_lazy("Người chịu trách nhiệm"))
    due_date = DateField(label=gettext_lazy("Hạn hoàn thành"))
    reason = reason_field(gettext_lazy("Lý do sửa"))

    def __init__(self, data=None, files=None, *, record: FollowUpAction, **kwargs):
        self.record = record
        super().__init__(data, files, **kwargs)
        self.fields["owner"].set_people(self.people.editors)
        self.initial = {
            "description": record.description,
            "owner": str(record.owner_id),
            "due_date": record.due_date,
        }

    def save(self):
        data = self.cleaned_data
        return steps.edit_follow_up(
            action=self.record,
            by=self.user,
            reason=data["reason"],
            description=data["description"],
            owner=data["owner"],
            due_date=data["due_date"],
        )


class ReportEditForm(CorrectionMixin, TaskForm):
    slug = "report_edit"

    progress_percent = percent_field()
    money_spent = MoneyField(label=gettext_lazy("Kinh phí đã sử dụng (đồng)"))
    problems = forms.CharField(
        label=gettext_lazy("Khó khăn, vướng mắc"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    content = forms.CharField(
        label=gettext_lazy("Nội dung báo cáo"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = reason_field(gettext_lazy("Lý do sửa"))

    def __init__(self, data=None, files=None, *, record, **kwargs):
        self.record = record
        super().__init__(data, files, **kwargs)
        self.initial = {
            "progress_percent": record.progress_percent,
            "money_spent": record.money_spent,
            "problems": record.problems,
            "content": record.content,
        }

    def save(self):
        data = self.cleaned_data
        return steps.edit_report(
            report=self.record,
            by=self.user,
            reason=data["reason"],
            progress_percent=data["progress_percent"],
            money_spent=data["money_spent"],
            problems=data["problems"],
            content=data["content"],
        )


class CancelForm(TaskForm):
    """Cancel a close-out record with a reason; `cancel(record, by, reason)` calls the rule."""

    slug = "cancel"

    reason = reason_field(gettext_lazy("Lý do hủy"))

    def __init__(self, data=None, files=None, *, record, cancel, **kwargs):
        self.record = record
        self.cancel = cancel
        super().__init__(data, files, **kwargs)

    def save(self):
        return self.cancel(self.record, self.user, self.cleaned_data["reason"])

    def success_message(self, result) -> str:
        return _("Đã hủy; lý do được ghi vào lịch sử của đề án.")


class ReversalForm(TaskForm):
    slug = "reverse"

    date = PastDateField(label=gettext_lazy("Ngày ghi đảo"))
    voucher_number = forms.CharField(
        label=gettext_lazy("Số chứng từ ghi đảo"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Phiếu thu hoặc chứng từ điều chỉnh, nếu có."),
    )
    reason = reason_field(gettext_lazy("Lý do ghi đảo"))

    def __init__(self, data=None, files=None, *, record, **kwargs):
        self.record = record
        super().__init__(data, files, **kwargs)
        self.fields["date"].initial = timezone.localdate()

    def clean_voucher_number(self):
        return _unused_voucher(self.project, self.cleaned_data["voucher_number"])

    def save(self):
        data = self.cleaned_data
        return disbursements.reverse_disbursement(
            disbursement=self.record,
            by=self.user,
            reason=data["reason"],
            date=data["date"],
            voucher_number=data["voucher_number"],
        )

    def success_message(self, reversal) -> str:
        return _("Đã ghi đảo %(amount)s (chứng từ số %(voucher)s).") % {
            "amount": format_vnd(reversal.amount),
            "voucher": self.record.voucher_number,
        }
