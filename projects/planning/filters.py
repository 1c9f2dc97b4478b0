"""Filters of the allocation list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from khuyencong.filters import ALL, ReferenceFilter, year_choices
from projects.models import Allocation, FundingSource


class AllocationFilter(django_filters.FilterSet):
    year = django_filters.ChoiceFilter(label=_("Năm"), choices=year_choices, empty_label=ALL)
    funding_source = ReferenceFilter(
        label=_("Nguồn kinh phí"), queryset=FundingSource.objects.all(), empty_label=ALL
    )

    class Meta:
        model = Allocation
        fields = []
