"""Pieces the list filters of every app share (django-filter)."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.forms import FetchedChoiceIterator, LocalityChoiceField, UserChoiceField

ALL = _("Tất cả")


def year_choices():
    this_year = timezone.localdate().year
    return [(year, str(year)) for year in range(this_year + 1, 2009, -1)]


class FilterForm(forms.Form):
    """The form of a list's filters (a FilterSet's `Meta.form`). django-filter builds the form
    class, and a fresh field per filter, for every filterset (`get_form_class`), so the deep
    copy Django's Form makes of its class's fields, choices and querysets included, copies what
    nothing else holds: on a list page that copy was some 0.5 ms. The form takes them as they
    are."""

    def __init__(self, *args, **kwargs):
        fields = self.base_fields
        self.base_fields = {}  # what Form.__init__ deep-copies
        super().__init__(*args, **kwargs)
        del self.base_fields
        self.fields = dict(fields)


class LocalityFilter(django_filters.ModelChoiceFilter):
    field_class = LocalityChoiceField


class UserFilter(django_filters.ModelChoiceFilter):
    field_class = UserChoiceField


class ReferenceFilter(django_filters.ModelChoiceFilter):
    """A choice from a short reference table (funding sources, activity types, sectors), its
    options read in one fetch rather than through a server-side cursor."""

    class field_class(django_filters.fields.ModelChoiceField):  # noqa: N801 (django-filter's name)
        iterator = FetchedChoiceIterator

    def __init__(self, *args, queryset, **kwargs):
        # Held as a function returning the queryset (which django-filter calls with the
        # request), so that the deep copy every filterset makes of its filters does not copy a
        # queryset each time.
        super().__init__(*args, queryset=lambda request: queryset.all(), **kwargs)
