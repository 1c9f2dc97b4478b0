import functools

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.core.paginator import Paginator
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext as _

from khuyencong.markup import esc
from khuyencong.money import format_vnd
from khuyencong.stored_text import said

register = template.Library()


@register.filter(name="said")
def said_filter(stored):
    """A stored Vietnamese message (a history reason) in the reader's language."""
    return said(stored)


@register.filter
def vnd(amount):
    """1075000000 → "1.075.000.000 ₫"."""
    return format_vnd(amount)


@register.filter
def vnd_plain(amount):
    return format_vnd(amount, symbol=False)


@register.filter
def number(value):
    """Whole numbers with dot grouping, as Vietnamese documents write them."""
    if value is None or value == "":
        return ""
    return format_vnd(value, symbol=False)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (for sorting and paging links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return urlencode(sorted(params.lists()), doseq=True)


@register.filter
def filters_in_use(query) -> bool:
    """Whether a list's GET query narrows it (paging and sorting do not): on a phone its filters
    then stay open, so the reader sees what narrowed the list."""
    return any(value for key, value in query.items() if key not in ("page", "sort"))


@register.filter
def filter_field(bound_field):
    """A list filter's field in crispy's Bootstrap 5 markup (same ids, classes, label and error
    block), built in Python. crispy renders a field through a dozen nested templates and Django
    renders each <option> through its own template: on the project list that was most of the
    page's time, for a form of selects (one of them the tree of localities). Text inputs and
    selects only; anything else goes to crispy."""
    field = bound_field.field
    widget = field.widget
    if (
        field.help_text
        or isinstance(widget, forms.SelectMultiple | forms.HiddenInput)
        or not isinstance(widget, forms.Select | forms.TextInput)
    ):
        return as_crispy_field(bound_field)
    kind = "form-select" if isinstance(widget, forms.Select) else "form-control"
    css = f"{type(widget).__name__.lower()} {kind}"  # crispy's classes
    attrs = {"class": css}
    if bound_field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound_field.auto_id}_error"
    return field_markup(bound_field, attrs, error_tag="p")


@register.filter
def hidden_input(bound_field):
    """A hidden field's <input>, as Django's widget template writes it (attributes in its
    order), built in Python: its template and the attributes template it includes cost the
    project list as much as its whole filter form of selects."""
    widget = bound_field.field.widget
    if type(widget) is not forms.HiddenInput:
        return bound_field
    attrs = bound_field.build_widget_attrs({})
    if bound_field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound_field.auto_id)
    attrs = widget.build_attrs(widget.attrs, attrs)
    value = widget.format_value(bound_field.value())
    shown = f' value="{esc(value)}"' if value is not None else ""
    name = esc(bound_field.html_name)
    # django/forms/widgets/attrs.html: False leaves an attribute out, True writes its name.
    written = "".join(
        f" {esc(k)}" if v is True else f' {esc(k)}="{esc(v)}"'
        for k, v in attrs.items()
        if v is not False
    )
    return mark_safe(f'<input type="hidden" name="{name}"{shown}{written}>')  # escaped


def field_markup(bound_field, attrs: dict, *, error_tag: str) -> str:
    """A text input or select with its label, errors and help text in crispy's Bootstrap 5
    markup, built in Python; `attrs`: the control's own attributes (crispy's classes), to which
    Django adds required, aria-invalid and aria-describedby. crispy writes each error as a <p>
    under `|as_crispy_field` and as a <span> in a form with a layout: `error_tag`."""
    field, widget = bound_field.field, bound_field.field.widget
    attrs = bound_field.build_widget_attrs({**widget.attrs, **attrs})
    if bound_field.auto_id:
        attrs.setdefault("id", bound_field.auto_id)
    name = bound_field.html_name
    value = widget.format_value(bound_field.value())
    # Written with f-strings and `esc` (what format_html does to its arguments, without its
    # wrappers): a list's filter form is some 70 pieces on every page.
    if isinstance(widget, forms.Select):
        options = _options(widget, name, value)
        control = f'<select name="{esc(name)}"{_attrs(attrs)}>{options}</select>'
    else:
        shown = f' value="{esc(value)}"' if value is not None else ""
        kind = esc(widget.input_type)
        control = f'<input type="{kind}" name="{esc(name)}"{shown}{_attrs(attrs)}>'
    label = ""
    if bound_field.label:
        required = " requiredField" if field.required else ""
        asterisk = '<span class="asteriskField">*</span>' if field.required else ""
        label = (
            f'<label for="{esc(bound_field.id_for_label)}" class="form-label{required}">'
            f"{esc(bound_field.label)}{asterisk}</label>"
        )
    auto_id = esc(bound_field.auto_id)
    errors = ""
    if bound_field.errors:
        errors = "".join(
            f'<{error_tag} id="error_{i}_{auto_id}"><strong>{esc(e)}</strong></{error_tag}>'
            for i, e in enumerate(bound_field.errors, 1)
        )
        errors = f'<div id="{auto_id}_error" class="invalid-feedback">{errors}</div>'
    help_text = ""
    if field.help_text:
        # as crispy writes it (|safe): our own texts
        help_text = f'<div id="{auto_id}_helptext" class="form-text">{field.help_text}</div>'
    return mark_safe(  # every piece above is escaped
        f'<div id="div_{auto_id}" class="mb-3">{label}{control}{errors}{help_text}</div>'
    )


def _attrs(attrs: dict) -> str:
    """HTML attributes in the order given (Django's attrs.html; flatatt would sort them)."""
    return "".join(
        f" {esc(k)}" if v is True else f' {esc(k)}="{esc(v)}"'
        for k, v in attrs.items()
        if v is not None and v is not False
    )


def _options(widget, name, value) -> str:
    # Plain string building straight from the choices, as Django's Select.optgroups() would
    # mark them (the first matching value selected; option_inherits_attrs is off for selects):
    # a province's tree of localities is some 130 options on every list page. No widget of the
    # portal overrides create_option(). The markup is a pure function of the choices (values
    # and labels as text) and the selected values, so it is kept per process under exactly
    # those: the escaping of every option is then done once, not on every page.
    wanted = frozenset(str(v) for v in value or ())
    markup_key = getattr(widget.choices, "markup_key", None)  # filters.OfferedChoices
    key = markup_key() if markup_key is not None else None
    if key is not None:
        return _offered_html(*key, wanted, widget.allow_multiple_selected)
    choices = []
    marked = False  # whether a value or label is marked safe
    for option_value, label in widget.choices:
        if isinstance(label, list | tuple):
            label = tuple((_text(v), str(lb)) for v, lb in label)
            marked = marked or any(
                isinstance(v, SafeData) or isinstance(lb, SafeData) for v, lb in label
            )
        else:
            label = str(label)
            marked = marked or isinstance(label, SafeData)
        option_value = "" if option_value is None else str(option_value)
        marked = marked or isinstance(option_value, SafeData)
        choices.append((option_value, label))
    # A label marked safe prints unescaped, yet equals (and hashes as) the same text unmarked:
    # it must not share a cached entry with it.
    build = _options_html.__wrapped__ if marked else _options_html
    return build(tuple(choices), wanted, widget.allow_multiple_selected)


def _text(option_value) -> str:
    return "" if option_value is None else str(option_value)


@functools.lru_cache(maxsize=256)
def _offered_html(empty_label: str, rows: tuple, wanted: frozenset, multiple: bool) -> str:
    choices = (("", empty_label), *((_text(value), label) for value, label in rows))
    return _options_html.__wrapped__(choices, wanted, multiple)


@functools.lru_cache(maxsize=256)
def _options_html(choices: tuple, wanted: frozenset, multiple: bool) -> str:
    chosen = False

    def option(option_value, label):
        nonlocal chosen
        selected = option_value in wanted and (multiple or not chosen)
        chosen = chosen or selected
        return (
            f'<option value="{conditional_escape(option_value)}"'
            f"{' selected' if selected else ''}>{conditional_escape(label)}</option>"
        )

    parts = []
    for option_value, label in choices:
        if isinstance(label, tuple):
            inner = "".join(option(v, lb) for v, lb in label)
            parts.append(f'<optgroup label="{conditional_escape(option_value)}">{inner}</optgroup>')
        else:
            parts.append(option(option_value, label))
    return mark_safe("".join(parts))  # every value above is escaped


@register.simple_tag(takes_context=True)
def page_links(context, page) -> str:
    """The paging links of a list (projects/_pagination.html), built in Python: the template
    copied and re-encoded the query string for every link, and the lists show it twice. Kept
    per process for each query, page, number of pages and language."""
    return _page_links(context["request"], page)


@register.simple_tag(takes_context=True)
def results_page_links(context, page) -> str:
    """The facility list's paging links (facilities/_pagination.html): each also loads its
    page into #results with htmx, and there is no greyed-out first or last step."""
    return _page_links(context["request"], page, htmx=True)


HTMX_RESULTS = ' hx-target="#results" hx-swap="outerHTML" hx-push-url="true"'


def _page_links(request, page, *, htmx: bool = False) -> str:
    if page is None or page.paginator.num_pages <= 1:
        return ""
    others = tuple(sorted((k, tuple(v)) for k, v in request.GET.lists() if k != "page"))
    # A function of these alone: written once per process for each (a list's pages are read
    # again and again with the same query).
    return _page_links_markup(
        others, page.number, page.paginator.num_pages, htmx, translation.get_language()
    )


@functools.lru_cache(maxsize=512)
def _page_links_markup(others: tuple, current: int, pages: int, htmx: bool, language) -> str:
    # `language` is part of the key only (the labels are translated).
    page = Paginator(range(pages), 1).page(current)
    others = [(k, list(v)) for k, v in others]

    def link(number, text) -> str:
        query = conditional_escape(
            urlencode(sorted([*others, ("page", [str(number)])]), doseq=True)
        )
        if htmx:
            return (
                f'<a class="page-link" href="?{query}" hx-get="?{query}"{HTMX_RESULTS}>{text}</a>'
            )
        return f'<a class="page-link" href="?{query}">{text}</a>'

    # (gettext outside the f-strings: makemessages does not read inside them)
    previous, following = conditional_escape(_("Trước")), conditional_escape(_("Sau"))
    previous, following = f"&laquo; {previous}", f"{following} &raquo;"
    label = conditional_escape(_("Phân trang"))
    css = "pagination-sm flex-wrap" if htmx else "pagination-sm mb-0"
    nav = ' class="mt-3"' if htmx else ""
    parts = [f'<nav{nav} aria-label="{label}"><ul class="pagination {css}">']
    if page.has_previous():
        parts.append(f'<li class="page-item">{link(page.previous_page_number(), previous)}</li>')
    elif not htmx:
        parts.append(
            f'<li class="page-item disabled"><span class="page-link">{previous}</span></li>'
        )
    # As the templates had it: the range around the first page (the method called without
    # arguments).
    for number in page.paginator.get_elided_page_range():
        if number == page.number:
            parts.append(
                f'<li class="page-item active" aria-current="page">'
                f'<span class="page-link">{number}</span></li>'
            )
        elif number == page.paginator.ELLIPSIS:
            parts.append('<li class="page-item disabled"><span class="page-link">…</span></li>')
        else:
            parts.append(f'<li class="page-item">{link(number, number)}</li>')
    if page.has_next():
        parts.append(f'<li class="page-item">{link(page.next_page_number(), following)}</li>')
    elif not htmx:
        parts.append(
            f'<li class="page-item disabled"><span class="page-link">{following}</span></li>'
        )
    parts.append("</ul></nav>")
    return mark_safe("".join(parts))  # every value above is escaped


@register.simple_tag
def sort_link(header) -> str:
    """A sortable column header's link of the facility list (was facilities/_sort_link.html),
    from the view's `_sort_headers`: label, query string and current direction."""
    query = conditional_escape(header["query"])
    if header["state"] == "asc":
        title = conditional_escape(_("Tăng dần"))
        icon = f' <i class="bi bi-sort-up" title="{title}"></i>'
    elif header["state"] == "desc":
        title = conditional_escape(_("Giảm dần"))
        icon = f' <i class="bi bi-sort-down" title="{title}"></i>'
    else:
        icon = ' <i class="bi bi-arrow-down-up text-muted small"></i>'
    return mark_safe(
        f'<a class="text-reset text-decoration-none text-nowrap" href="?{query}" '
        f'hx-get="?{query}"{HTMX_RESULTS}>{conditional_escape(header["label"])}{icon}</a>'
    )


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label, cls: str = "") -> str:
    """A sortable column header of the project list (was projects/_sort_th.html): a link to the
    list sorted by `key`, the other way round when it is the current sort."""
    sort = context.get("sort", "")
    others = [(k, v) for k, v in context["request"].GET.lists() if k not in ("sort", "page")]
    wanted = f"-{key}" if sort == key else key
    query = conditional_escape(urlencode(sorted([*others, ("sort", [wanted])]), doseq=True))
    if sort == key:
        icon = ' <i class="bi bi-caret-up-fill small"></i>'
    elif sort == f"-{key}":
        icon = ' <i class="bi bi-caret-down-fill small"></i>'
    else:
        icon = ' <i class="bi bi-arrow-down-up small text-body-tertiary"></i>'
    return mark_safe(
        f'<th class="{conditional_escape(cls)}" scope="col"><a class="link-body-emphasis '
        f'text-decoration-none" href="?{query}">{conditional_escape(label)}{icon}</a></th>'
    )


class FixedNode(template.Node):
    """See `fixed`."""

    # Not searched for blocks (a fixed part holds none): every page extending base.html walks
    # base.html's nodes for its blocks on every render, and most of them are fixed markup.
    child_nodelists = ()

    def __init__(self, nodelist, by=None):
        self.nodelist, self.by = nodelist, by
        self.rendered: dict[tuple, str] = {}

    def render(self, context):
        key = _fixed_key(context)
        if self.by is not None:
            by = self.by.resolve(context)
            if by is None:
                return self.nodelist.render(context)
            key = (*key, by)
        html = self.rendered.get(key)
        if html is None:
            # Old settings' versions (tests change settings); for keyed parts, a bound on the
            # combinations kept (each a few kilobytes).
            if len(self.rendered) > (16 if self.by is None else 256):
                self.rendered.clear()
            html = self.rendered[key] = self.nodelist.render(context)
        return html


def _fixed_key(context) -> tuple:
    # What all fixed markup depends on, worked out once per rendering of a page (each part is
    # a lookup of per-request state, a few times what reading a kept part costs). No template
    # switches the language within a page ({% language %} is not used).
    render_context = context.render_context
    key = render_context.get(_fixed_key)
    if key is None:
        key = (translation.get_language(), get_script_prefix(), get_urlconf(), _settings_version)
        render_context[_fixed_key] = key
    return key


@register.tag
def fixed(parser, token):
    """`{% fixed %}…{% endfixed %}`: markup rendered once per process, language and URL
    configuration, then kept with the compiled template. Only for what depends on nothing
    else — static files, URLs without arguments, translations, includes of the same — never a
    variable, a block or a CSRF token. The frame of every page (base.html) is mostly such
    markup: its URL reversals, static file names and translations were some 1 ms a page.

    `{% fixed by key %}…{% endfixed %}`: kept per value of `key` besides, for markup that is a
    function of what that value holds (its owner's contract: every input of the markup, read
    on this request, in the key); a key of None renders it every time. A list's filter card
    is one (ProjectFilter.markup_key)."""
    bits = token.split_contents()
    if len(bits) not in (1, 3) or (len(bits) == 3 and bits[1] != "by"):
        raise template.TemplateSyntaxError("{% fixed %} or {% fixed by key %}")
    by = parser.compile_filter(bits[2]) if len(bits) == 3 else None
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    return FixedNode(nodelist, by)


# Part of the key of `fixed` markup: a changed setting (static files' storage or address, in
# tests) renders it again.
_settings_version = 0


@receiver(setting_changed)
def _settings_changed(**kwargs):
    global _settings_version
    _settings_version += 1


@register.simple_tag(takes_context=True)
def nav_items(context) -> str:
    """The main menu's entries (includes/nav_items.html). They depend on nothing but the
    language, the URL configuration, the page's section and view and whether the user may
    edit, so each combination is rendered once per process: on every page that was some
    twenty URL reversals and translations."""
    match = getattr(context.get("request"), "resolver_match", None)
    return _nav_items(
        translation.get_language(),
        get_script_prefix(),
        get_urlconf(),
        match.namespace if match else None,
        match.view_name if match else None,
        bool(context.get("can_edit")),
    )


@functools.lru_cache(maxsize=512)
def _nav_items(language, script_prefix, urlconf, namespace, view_name, can_edit) -> str:
    from khuyencong.context_processors import FOLLOW_THROUGH_VIEWS

    return mark_safe(
        render_to_string(
            "includes/nav_items.html",
            {
                "ns": namespace,
                "view": view_name,
                "can_edit": can_edit,
                "follow_through_views": FOLLOW_THROUGH_VIEWS,
            },
        )
    )
