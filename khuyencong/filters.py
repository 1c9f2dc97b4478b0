"""Pieces the list filters of every app share (django-filter)."""

import functools
import itertools
from collections.abc import Callable

import django_filters
from django import forms
from django.db import connections, router
from django.db.models import CharField, DateField, F, Value, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import cached_property
from django.utils.safestring import SafeData
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.filters import FilterMethod

from khuyencong import access, unchanged
from khuyencong.forms import (
    FetchedChoiceIterator,
    LocalityChoiceField,
    UserChoiceField,
    locality_tree,
)
from khuyencong.models import Locality

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

    def __init__(self, *args, fields: dict | None = None, **kwargs):
        fields = self.base_fields if fields is None else fields
        self.base_fields = {}  # what Form.__init__ deep-copies
        super().__init__(*args, **kwargs)
        del self.base_fields
        self.fields = dict(fields)


@functools.cache
def _form_class(filterset_class: type, form_class: type) -> type:
    return type(f"{filterset_class.__name__}Form", (form_class,), {})


class ListFilterSet(django_filters.FilterSet):
    """A list's FilterSet whose filters are copied one level deep for each instance. django-filter
    deep-copies its filters, with their choices, widgets and labels, for every filterset: on a
    list page that was some 450 copies of objects nothing changes. What an instance changes of
    a filter is its own: attributes set on it (a queryset, the filterset and model), the field
    it builds and the field arguments (`extra`, where a model choice filter puts its
    queryset); a filter with a `method` gets its own FilterMethod (which refers to its
    filter)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        filters = self.base_filters
        self.base_filters = {}  # what FilterSet.__init__ deep-copies
        super().__init__(data, queryset, request=request, prefix=prefix)
        del self.base_filters
        self.filters = {name: _copied(filter_) for name, filter_ in filters.items()}
        for filter_ in self.filters.values():
            filter_.model = self.queryset.model
            filter_.parent = self

    # The selects whose options come from database tables, read together (`read_choices`)
    # under this shape from `choice_parts`, labelled by `choice_labels`; none by default.
    choices_shape: str | None = None
    offered: tuple[str, ...] = ()

    @property
    def form(self):
        """The filters' form, with the filters' own fields. django-filter makes a form class for
        every filterset (type() through the forms' metaclass, which collects the fields and
        media again); with a FilterForm the class is made once per filterset class and the
        form takes this filterset's fields as they are."""
        if not hasattr(self, "_form"):
            if not issubclass(self._meta.form, FilterForm):
                form = super().form
            else:
                fields = {name: filter_.field for name, filter_ in self.filters.items()}
                form_class = _form_class(type(self), self._meta.form)
                data = self.data if self.is_bound else None
                form = self._form = form_class(data, prefix=self.form_prefix, fields=fields)
            self.prepare_form(form)
        return self._form

    def prepare_form(self, form: forms.Form) -> None:
        """What a list changes of its form once built (only when something needs the form:
        not for a list that filters nothing and keeps its card, see `markup_key`). The
        selects of `offered` offer their options from `offered_choices`."""
        if self.offered:
            offer_choices(form, self.offered, self.offered_choices)

    @cached_property
    def filters_used(self) -> bool:
        """Whether the query gives any filter a value. Without one (no filter is required) the
        form is valid and every filter gets its empty value: `qs`, the card's key and the
        views need no form then."""
        if not self.is_bound:
            return False
        getlist = getattr(self.data, "getlist", None)
        if getlist is None:  # a plain dict
            return any(self.data.get(self.form_prefix_of(name)) for name in self.filters)
        return any(value for name in self.filters for value in getlist(self.form_prefix_of(name)))

    def form_prefix_of(self, name: str) -> str:
        return f"{self.form_prefix}-{name}" if self.form_prefix else name

    @property
    def qs(self):
        """The filtered rows. With no filter's value in the query, each filter is given the
        empty value (None) without building the form: every filter then passes the rows through
        as they are (django-filter's Filter.filter and FilterMethod do for any empty value)
        but a sort that has a default order (facilities.filters.SortFilter)."""
        if not hasattr(self, "_qs") and self.is_bound and not self.filters_used:
            qs = self.queryset.all()
            for filter_ in self.filters.values():
                qs = filter_.filter(qs, None)
            self._qs = qs
        return super().qs

    @cached_property
    def choice_rows(self) -> "ReadChoices":
        """The rows of the `offered` selects' options (read_choices), read once per request:
        the card's key and, when the card is written, its selects."""
        return read_choices(self.choices_shape, self.choice_parts)

    @staticmethod
    def choice_parts() -> dict[str, tuple]:
        """The `read_choices` parts of the `offered` selects, the same for every user (the
        locality tree is narrowed to the user's scope after, in `choice_labels`)."""
        raise NotImplementedError

    def choice_labels(self, rows: "ReadChoices", user) -> dict[str, tuple]:
        """The `offered` selects' options (value, label) from their rows, in the order and
        with the labels their fields would give them, for `user` (None: no request)."""
        raise NotImplementedError

    def offered_choices(self) -> dict[str, tuple]:
        """The options of the `offered` selects, from one query (`read_choices`): a query each
        was a good part of a list's time. Labelled once while the rows, the user's scope and
        the language stay the same."""
        rows = self.choice_rows
        user = self.request.user if self.request is not None else None
        return rows.derived(
            (scope_of(user), get_language()), lambda: self.choice_labels(rows, user)
        )

    @cached_property
    def markup_key(self) -> tuple | None:
        """What the list's filter card is written from, as the key it is kept under per
        process ({% fixed by %}; the language and URLs are that tag's own key): the request's
        query (the page aside: the fields' values, the sort, whether filters are in use), the
        options read on this request (their ReadChoices), the user's scope (their localities)
        and what `markup_key_parts` adds. None — written every time — when it shows more: a
        field's error (its message quotes the value), or what `markup_key_parts` says. An
        unchanged card is then neither built nor written, nor its form when nothing is
        filtered: a form, a dozen fields and some 150 options were a quarter of a list's
        time."""
        parts = self.markup_key_parts()
        if parts is None or (self.filters_used and not self.is_valid()):
            return None
        user = self.request.user if self.request is not None else None
        return (self.choices_shape, self.query_key, self.choice_rows.serial, scope_of(user), *parts)

    def markup_key_parts(self) -> tuple | None:
        """What else a list's filter card is written from (a tuple of it), or None when it is
        to be written every time."""
        return ()

    @cached_property
    def query_key(self) -> tuple:
        """The request's query but its page, as a key: what the sort headers are written from."""
        data = self.data if self.is_bound else {}
        return tuple(sorted((key, tuple(data.getlist(key))) for key in data if key != "page"))

    # The filters whose statement is built from rows read on every request (a locality's
    # subtree, from the tree): a list filtered by one is built every time (`statement_key`).
    read_filters = ("locality",)

    @cached_property
    def statement_key(self) -> tuple | None:
        """What the filtered queryset (`qs`) is built from, as a key (khuyencong.paging.
        ListPaginator compiles its count and pages once per key): the query but its page (the
        fields' values and the sort) and the user's scope (their localities). None — built
        every time — when a field is invalid, or for a filter of `read_filters`."""
        if self.filters_used and (
            any(self.data.get(name) for name in self.read_filters) or not self.is_valid()
        ):
            return None
        user = self.request.user if self.request is not None else None
        return (self.choices_shape, self.query_key, scope_of(user))

    # Whether the query may be validated by a form of only the fields it gives a value to
    # (`checked`): right for a filterset whose fields each read the query's value of their own
    # name (no range widgets, no prefix), whose form is built only to validate the query when
    # its card is kept (ProjectFilter.markup_key).
    checks_given_fields = False

    @property
    def checked(self) -> forms.Form:
        """The form that validates the query (`is_valid`, `errors`, the filtering): the filters'
        form when it is built, or unless `checks_given_fields`; else a form of only the fields
        the query gives a value to, which validates those as the filters' form would and leaves
        the others out of its cleaned_data, where their empty values would filter nothing.
        Building a dozen fields with their choices to check a search and a status was a sixth of
        a filtered list's Python besides its rows."""
        if hasattr(self, "_form") or not self.checks_given_fields or not self.is_bound:
            return self.form
        if not hasattr(self, "_checked"):
            data = self.data
            lists = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
            given = {key for key, values in lists if any(values)}
            fields = {name: f.field for name, f in self.filters.items() if name in given}
            self._checked = _form_class(type(self), self._meta.form)(data, fields=fields)
        return self._checked

    def is_valid(self):
        return self.is_bound and self.checked.is_valid()

    @property
    def errors(self):
        return self.checked.errors

    def filter_queryset(self, queryset):
        for name, value in self.checked.cleaned_data.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset


def _copied(filter_: django_filters.Filter) -> django_filters.Filter:
    # What copy.copy does to a plain object (no filter class defines __copy__ or __reduce__),
    # without its generic protocol, some 40 steps a filter.
    copied = object.__new__(type(filter_))
    copied.__dict__.update(filter_.__dict__)
    copied.extra = dict(filter_.extra)
    copied.__dict__.pop("_field", None)
    if isinstance(filter_.__dict__.get("filter"), FilterMethod):
        copied.filter = FilterMethod(copied)
    return copied


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


# The compiled statements of `read_choices`, by shape (see there), and the rows each read last
# with the answer made of them.
_statements: dict[tuple, tuple] = {}
_last_read: dict[tuple, tuple[list, "ReadChoices"]] = {}
_DERIVED_MAX = 64
_serials = itertools.count(1)


class ReadChoices(dict):
    """What `read_choices` answers: each name's rows, as tuples. The same object, not to be
    changed, for as long as the database gives the same rows, so that what a list makes of them
    (labels, the user's part of the locality tree) is made once and kept with it (`derived`)."""

    def __init__(self, groups: dict):
        super().__init__(groups)
        self._derived = {}
        # Tells one answer from another in a key (ListFilterSet.markup_key): a new one is made
        # whenever the rows read differ.
        self.serial = next(_serials)

    def derived(self, key: tuple, build: Callable[[], object]):
        """`build()`, made once per `key` (all it depends on besides these rows: the user's
        scope, the language) for as long as the rows are the same. It must not be changed."""
        try:
            return self._derived[key]
        except KeyError:
            if len(self._derived) >= _DERIVED_MAX:
                self._derived.clear()
            value = self._derived[key] = build()
            return value


def read_choices(shape: str, parts: Callable[[], dict[str, tuple]]) -> ReadChoices:
    """The rows of several short option lists in one query (a UNION ALL), where each would
    otherwise cost a query of its own on every list page.

    `parts()` maps a name to (queryset, the order of its options, up to four text columns c1-c4
    and a date column `day` as expressions); the answer maps each name to its rows
    (pk, c1, c2, c3, c4, day) in that order, which a row number computed by the database
    carries (so text sorts by the database's collation, as the queryset itself would).

    The statement is built and compiled once per process and database under `shape`, the
    caller's name for its parts: building and compiling a UNION of four window queries took the
    ORM more than half of this function's time on every list page. So `parts()` must give the
    same statement whatever the user, the request or the data (narrow to a user's scope in
    Python, after); only the rows are read on every call."""
    db = router.db_for_read(Locality)
    key = (shape, db, connections[db].vendor)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _compile(parts(), db)
    tags, compiler, sql, params = statement

    def fetch() -> list[tuple]:
        with connections[db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    # Reference rows, read again only after a commit (khuyencong/unchanged.py).
    fetched = unchanged.kept(("read_choices", key), fetch, using=db)
    last = _last_read.get(key)
    if last is not None and last[0] == fetched:
        return last[1]
    groups = {tag: [] for tag in tags}
    for tag, pk, c1, c2, c3, c4, day, rank in compiler.results_iter([fetched]):
        groups[tag].append((rank, pk, c1, c2, c3, c4, day))
    answer = ReadChoices(
        {tag: tuple(row[1:] for row in sorted(rows)) for tag, rows in groups.items()}
    )
    _last_read[key] = (fetched, answer)
    return answer


def _compile(parts: dict[str, tuple], db: str) -> tuple:
    text = CharField()
    queries = []
    for tag, (queryset, ranked_by, columns) in parts.items():
        columns = {f"c{i}": Value("", text) for i in range(1, 5)} | columns
        columns.setdefault("day", Cast(Value(None), DateField()))
        queries.append(
            queryset.order_by()
            .annotate(
                tag=Value(tag, text),
                day=columns.pop("day"),
                rank=Window(RowNumber(), order_by=ranked_by),
                **columns,
            )
            .values_list("tag", "pk", "c1", "c2", "c3", "c4", "day", "rank")
        )
    first, *others = queries
    compiler = first.union(*others, all=True).query.get_compiler(db)
    # The compiler stays with its statement: it converts the rows as the queryset would (the
    # date column on SQLite).
    sql, params = compiler.as_sql()
    return tuple(parts), compiler, sql, params


class OfferedChoices(BaseChoiceIterator):
    """The options of one select of a filter form, after its empty label, from `read()`: a
    function reading those of every such select at once, on the first select rendered (a
    filterset used only to filter, as by the Excel export, reads none)."""

    def __init__(self, read: Callable[[], dict[str, list]], name: str, empty_label):
        self.read, self.name, self.empty_label = read, name, empty_label

    def __iter__(self):
        yield ("", self.empty_label)
        yield from self.read()[self.name]

    def markup_key(self) -> tuple | None:
        """What the select's options are written from: the empty label's text and the rows
        (plain values and texts), read on every request. The options' markup is kept per
        process under it (portal.filter_field), so that a province's tree of localities is not
        walked and escaped again on every list page. None when a label is marked safe (it
        prints unescaped, yet equals the same text unmarked)."""
        rows = tuple(self.read()[self.name])
        if isinstance(self.empty_label, SafeData) or any(
            isinstance(label, SafeData | list | tuple) for _value, label in rows
        ):
            return None
        return str(self.empty_label), rows


def offer_choices(form: forms.Form, names, read: Callable[[], dict[str, list]]) -> None:
    """Have the model choice fields `names` of a filter form offer their options from `read`
    (called once, when the first of them is rendered). Stored as ModelChoiceField's choices
    setter would (django-filter's would wrap them in its model iterator again); the fields
    still validate a choice against their querysets."""
    read = functools.cache(read)
    for name in names:
        field = form.fields[name]
        field._choices = field.widget.choices = OfferedChoices(read, name, field.empty_label)


def locality_rows() -> tuple:
    """The `read_choices` part of a locality tree (LocalityTreeIterator's columns): the units
    in force of the whole province, which `scoped` narrows to a user's."""
    return (
        Locality.objects.filter(valid_to__isnull=True, is_active=True),
        ["path"],
        {
            "c1": F("path"),
            "c2": F("kind"),
            "c3": F("name"),
            "c4": F("former_name"),
            "day": F("valid_to"),
        },
    )


def scope_of(user):
    """What `scoped` narrows the rows by, as a key: None (no user), "province" or the ids."""
    if user is None:
        return None
    if access.sees_whole_province(user):
        return "province"
    return access.covered_locality_ids(user)


def scoped(rows: list[tuple], user) -> list[tuple]:
    """The rows of `locality_rows` the user may file records under (access.localities_for)."""
    if user is None:
        return []
    if access.sees_whole_province(user):
        return rows
    ids = access.covered_locality_ids(user)
    return [row for row in rows if row[0] in ids]


def locality_choices(rows: list[tuple]) -> tuple:
    return locality_tree(
        tuple(
            (pk, path, kind, name, valid_to, former_name)
            for pk, path, kind, name, former_name, valid_to in rows
        )
    )
