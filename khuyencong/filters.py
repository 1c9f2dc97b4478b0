"""Pieces the list filters of every app share (django-filter)."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.forms import FetchedChoiceIterator, LocalityChoiceField, UserChoiceField

ALL = _("Tất cả")


def year_choices():
    this_year = timezone.localdate().year
    return [(year, str(year)) for year in range(this_year + 1, 2009, -1)]


class LocalityFilter(django_filters.ModelChoiceFilter):
    field_class = LocalityChoiceField


class UserFilter(django_filters.ModelChoiceFilter):
    field_class = UserChoiceField


class ReferenceFilter(django_filters.ModelChoiceFilter):
    """A choice from a short reference table (funding sources, activity types, sectors), its
    options read in one fetch rather than through a server-side cursor."""

    class field_class(django_filters.fields.ModelChoiceField):  # noqa: N801 (django-filter's name)
        iterator = FetchedChoiceIterator
