"""Thông báo: the user's own notifications, the header badge and delivery preferences.

Every query is narrowed to `recipient=request.user`: another user's notification is a 404.
"""

import django_filters
from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Window
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from khuyencong import notifications
from khuyencong.models import Delivery, Notification

# The header polls the count this often (seconds); the list also refreshes it after changes.
BADGE_REFRESH_SECONDS = 120
# How many unread notifications the dashboard's panel lists.
PANEL_ITEMS = 5


class NotificationFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("Trạng thái"),
        choices=[("unread", gettext_lazy("Chưa đọc")), ("read", gettext_lazy("Đã đọc"))],
        empty_label=gettext_lazy("Tất cả"),
        method="filter_state",
    )
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Loại"), choices=[], empty_label=gettext_lazy("Tất cả các loại")
    )

    class Meta:
        model = Notification
        fields = ["state", "kind"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["kind"].extra["choices"] = [
            (kind.code, kind.label) for kind in notifications.kinds_for(user)
        ]

    def filter_state(self, queryset, name, value):
        if value == "unread":
            return queryset.filter(read_at=None)
        return queryset.exclude(read_at=None)


def _user_notifications(request):
    return Notification.objects.filter(recipient=request.user)


def _get_own_or_404(request, pk) -> Notification:
    try:
        return _user_notifications(request).get(pk=pk)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc


def _with_labels(items):
    labels = {kind.code: kind.label for kind in notifications.kinds()}
    for item in items:
        item.kind_label = labels.get(item.kind, item.kind)
    return items


@login_required
@require_safe
def notification_list(request):
    filterset = NotificationFilter(
        request.GET, queryset=_user_notifications(request).for_list(), user=request.user
    )
    page = Paginator(filterset.qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    _with_labels(page.object_list)
    return render(
        request,
        "notifications/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "unread_count": notifications.unread_count(request.user),
            "filtered": any(request.GET.get(name) for name in filterset.filters),
        },
    )


def badge(request):
    # Polled by htmx: an expired session gets an empty badge, not the login page.
    if not request.user.is_authenticated:
        return HttpResponse("")
    count = notifications.unread_count(request.user)
    return render(request, "notifications/_badge.html", {"count": count})


def unread_panel(user) -> dict:
    """The dashboard panel's newest unread notifications and how many are unread, in one
    query: the count of every unread row rides along with the first few. The dashboard renders
    the panel with its page (notifications/_latest.html): no second request to show it."""
    items = _panel_items(user.pk)
    return {"items": _with_labels(items), "unread_count": items[0].unread_total if items else 0}


def _panel_queryset(recipient_id: int):
    return (
        Notification.objects.filter(recipient_id=recipient_id, read_at=None)
        .for_list()
        .annotate(unread_total=Window(Count("pk")))[:PANEL_ITEMS]
    )


# The panel's statement on PostgreSQL, compiled once per process: the ORM takes several times
# as long to build it as PostgreSQL to run it, and only the recipient changes. No id is
# negative, so the stand-in cannot be mistaken for another value of the statement.
_PANEL_STAND_IN = -7_300_000
_panel_sql: dict[str, str] = {}


def _panel_items(recipient_id: int) -> list[Notification]:
    if connection.vendor != "postgresql":
        return list(_panel_queryset(recipient_id))
    sql = _panel_sql.get(connection.alias)
    if sql is None:
        queryset = _panel_queryset(_PANEL_STAND_IN)
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
        if tuple(params) != (_PANEL_STAND_IN,):
            raise ValueError(f"the panel's statement takes other values: {params}")
        _panel_sql[connection.alias] = sql
    # The instances and the count as the queryset gives them (raw() reads the extra column as
    # the annotation).
    return list(Notification.objects.raw(sql, [recipient_id]))


@login_required
@require_safe
def latest(request):
    """The dashboard panel on its own (notifications/_latest.html)."""
    return render(request, "notifications/_latest.html", unread_panel(request.user))


@login_required
def open_notification(request, pk):
    """Follow a notification's link, marking it read on the way."""
    notification = _get_own_or_404(request, pk)
    notifications.mark_read(user=request.user, notification_id=notification.pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_read(request, pk):
    notification = _get_own_or_404(request, pk)
    notification = notifications.mark_read(user=request.user, notification_id=notification.pk)
    if request.htmx:
        response = render(
            request,
            "notifications/_item.html",
            {
                "item": _with_labels([notification])[0],
                # The dashboard panel swaps in its own short form of the item.
                "compact": request.POST.get("compact") == "1",
            },
        )
        response["HX-Trigger"] = "notificationsChanged"
        return response
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request):
    count = notifications.mark_all_read(user=request.user)
    if count:
        messages.success(
            request, _("Đã đánh dấu %(count)d thông báo là đã đọc.") % {"count": count}
        )
    return redirect("notifications:list")


class PreferencesForm(forms.Form):
    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(*(InlineRadios(kind.code) for kind in kinds))
        for kind in kinds:
            self.fields[kind.code] = forms.ChoiceField(
                label=kind.label,
                choices=Delivery.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Chọn cách nhận thông báo cho mục này."),
                    "invalid_choice": _(
                        "Cách nhận không hợp lệ; chọn e-mail ngay, e-mail tổng hợp hằng ngày "
                        "hoặc chỉ thông báo trên cổng."
                    ),
                },
            )


@login_required
def preferences(request):
    kinds = notifications.kinds_for(request.user)
    current = notifications.preferences_for(request.user)
    initial = {kind.code: current[kind.code] for kind in kinds}
    form = PreferencesForm(request.POST or None, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        notifications.set_preferences(user=request.user, choices=form.cleaned_data)
        messages.success(request, _("Đã lưu cài đặt nhận thông báo."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form, "kinds": kinds})
