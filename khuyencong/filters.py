"""Pieces the list filters of every app share (django-filter)."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.forms import LocalityChoiceField, UserChoiceField

ALL = _("Tất cả")


def year_choices():
    this_year = timezone.localdate().year
    return [(year, str(year)) for year in range(this_year + 1, 2009, -1)]


class LocalityFilter(django_filters.ModelChoiceFilter):
    field_class = LocalityChoiceField


class UserFilter(django_filters.ModelChoiceFilter):
    field_class = UserChoiceField
