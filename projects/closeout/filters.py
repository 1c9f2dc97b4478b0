"""Filters of the follow-through lists (upcoming acceptance reviews, overdue follow-up actions,
missing progress reports). Each list is of a different model, filtered by its project."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from khuyencong import access
from khuyencong.filters import ALL, LocalityFilter, ReferenceFilter
from khuyencong.localities import covered_ids
from khuyencong.text import fold
from projects.models import AcceptanceReview, FollowUpAction, FundingSource, Project


class ByProjectFilter(django_filters.FilterSet):
    """Search, locality subtree and funding source of the row's project."""

    # The path from the listed model to its project ("" when the list is of projects).
    to_project = "project__"

    q = django_filters.CharFilter(
        label=_("Tìm kiếm"),
        method="search",
        widget=forms.TextInput(attrs={"placeholder": _("Mã, tên đề án, cơ sở… (gõ không dấu)")}),
    )
    locality = LocalityFilter(
        label=_("Địa bàn"), queryset=None, method="in_subtree", empty_label=ALL
    )
    funding_source = ReferenceFilter(
        label=_("Nguồn kinh phí"),
        queryset=FundingSource.objects.all(),
        method="by_source",
        empty_label=ALL,
    )

    def __init__(self, data=None, queryset=None, *, request, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        self.filters["locality"].queryset = access.localities_for(request.user)

    def search(self, queryset, name, value):
        folded = fold(value)
        if not folded:
            return queryset
        return queryset.filter(**{f"{self.to_project}search_text__contains": folded})

    def in_subtree(self, queryset, name, value):
        return queryset.filter(**{f"{self.to_project}locality__in": covered_ids([value.pk])})

    def by_source(self, queryset, name, value):
        return queryset.filter(**{f"{self.to_project}funding_source": value})


class ReviewFilter(ByProjectFilter):
    class Meta:
        model = AcceptanceReview
        fields = []


class FollowUpFilter(ByProjectFilter):
    mine = django_filters.BooleanFilter(
        label=_("Chỉ việc tôi chịu trách nhiệm"),
        method="owned_by_me",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = FollowUpAction
        fields = []

    def owned_by_me(self, queryset, name, value):
        return queryset.filter(owner=self.request.user) if value else queryset


class MissingReportFilter(ByProjectFilter):
    to_project = ""

    class Meta:
        model = Project
        fields = []
