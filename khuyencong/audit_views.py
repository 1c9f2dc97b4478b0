"""Nhật ký truy cập: the auth and audit log (khuyencong/audit.py), for managers and superusers."""

import django_filters
from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from khuyencong.access import role_required
from khuyencong.forms import DateField
from khuyencong.models import AuditEvent, AuditKind, Role


class DayFilter(django_filters.DateFilter):
    field_class = DateField  # the portal's one reader of a typed day (15062026, 15.6.26 …)


class AuditEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Sự kiện"), choices=AuditKind.choices)
    username = django_filters.CharFilter(label=_("Tên đăng nhập"), lookup_expr="icontains")
    ip = django_filters.CharFilter(label=_("Địa chỉ IP"))
    date_from = DayFilter(label=_("Từ ngày"), field_name="created_at", lookup_expr="date__gte")
    date_to = DayFilter(label=_("Đến ngày"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = AuditEvent
        fields = ["kind", "username", "ip", "date_from", "date_to"]


@role_required(Role.MANAGER)
@require_safe
def audit_log(request):
    # Queries: session, user, count, page (users joined): four whatever the number of events.
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.select_related("user"))
    page = Paginator(filterset.qs, settings.PAGE_SIZE * 2).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "filtered": any(request.GET.get(name) for name in filterset.filters),
        },
    )
