"""What every .xlsx the portal writes has in common: nothing in it runs when it is opened, and
large files stream.

A text that starts with =, +, -, @, a tab or a carriage return is what spreadsheet programs
take for a formula ("formula injection": a facility named =HYPERLINK(…) would leak the sheet).
Such texts are stored as plain text cells marked with the quote prefix (Excel shows them as
typed and keeps them text when edited):

- big exports use openpyxl's write-only mode (`streaming_workbook`): rows go to a temporary
  file as they are appended, so memory does not grow with the number of rows. Their cells are
  built by `cell` / `row`, which apply the rule as each cell is made;
- small workbooks (the import template) use the normal mode and are made inert by `save`.

Every writer saves through `save` (bytes) or `download` (an HTTP response streamed from a
temporary file). Styles are NamedStyle objects registered once per workbook (`add_styles`) and
set on a cell by name: a new Font or Alignment object per cell cost most of the time of an
export of 50 000 rows.
"""

import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from copy import copy
from types import MethodType

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import NamedStyle
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Sheet names: Excel's limit, and characters it refuses.
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = "[]:*?/\\"


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _values_to_row(sheet, values, row_idx):
    """openpyxl's WriteOnlyWorksheet._values_to_row without its slow paths: a cell passed in
    is first assigned as a value (raising and catching ValueError), and a fresh cell is made
    after every styled one. Here a cell is used as given and plain values share one cell, which
    is safe because `append` writes the row before it returns."""
    plain = WriteOnlyCell(sheet)
    for col_idx, value in enumerate(values, 1):
        if value is None:
            continue
        if isinstance(value, Cell):
            one = value
        else:
            one = plain
            one.value = value
        one.column = col_idx
        one.row = row_idx
        yield one


# Set by `counting_rows` while a background job builds a workbook (khuyencong/jobs.py).
_row_counter: ContextVar[Callable[[], None] | None] = ContextVar("kc_row_counter", default=None)


@contextmanager
def counting_rows(callback: Callable[[], None]) -> Iterator[None]:
    """While active, each row appended to a streaming sheet calls `callback()`: the progress
    of a background export, without the writers knowing about jobs."""
    token = _row_counter.set(callback)
    try:
        yield
    finally:
        _row_counter.reset(token)


class _StreamingWorkbook(Workbook):
    def __init__(self):
        super().__init__(write_only=True)

    def create_sheet(self, title=None, index=None):
        sheet = super().create_sheet(title, index)
        # openpyxl is pinned (requirements.txt); tests read every streamed file back.
        sheet._values_to_row = MethodType(_values_to_row, sheet)
        counter = _row_counter.get()
        if counter is not None:
            append = sheet.append

            def counted_append(values):
                append(values)
                counter()

            sheet.append = counted_append
        return sheet


def streaming_workbook() -> Workbook:
    """A write-only workbook: create sheets with `create_sheet`, set column widths, freeze
    panes and print titles before the first `append`, auto filter and merged ranges any time
    before saving. Its cells carry no hyperlinks or comments (not needed by any export)."""
    return _StreamingWorkbook()


def add_styles(workbook: Workbook, styles: Iterable[NamedStyle]) -> None:
    """Register named styles once per workbook (shared by every cell that names them)."""
    known = set(workbook.named_styles)
    for style in styles:
        if style.name not in known:
            workbook.add_named_style(style)
            known.add(style.name)


def cell(sheet, value, *, style: str | None = None) -> WriteOnlyCell:
    """A write-only cell holding `value`, styled by the named style `style`; a formula-like
    text is kept text (string type, quote prefix)."""
    made = WriteOnlyCell(sheet, value=value)
    if style is not None:
        made.style = style
    if looks_like_formula(value):
        made.data_type = "s"
        made.quotePrefix = True
    return made


class RowMaker:
    """Rows for `sheet.append` with one named style per column (None: unstyled).

    Each styled column has one cell, made once with its style and given each row's value:
    `append` writes a row before it returns, so the cell is free again for the next row.
    Unstyled values stay plain values, the cheapest thing openpyxl writes. A formula-like text
    gets a cell of its own, kept text."""

    def __init__(self, sheet, styles: Sequence[str | None]):
        self.sheet = sheet
        self.cells = [None if s is None else cell(sheet, None, style=s) for s in styles]

    def __call__(self, values: Sequence) -> list:
        out = []
        for value, styled in zip(values, self.cells, strict=True):
            if value is None:
                out.append(None)
            elif looks_like_formula(value):
                made = WriteOnlyCell(self.sheet, value=value)
                if styled is not None:
                    made._style = copy(styled._style)
                made.data_type = "s"
                made.quotePrefix = True
                out.append(made)
            elif styled is None:
                out.append(value)
            else:
                styled.value = value
                out.append(styled)
        return out


def sheet_title(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts (at most 31 characters, none of []:*?/\\, unique in the
    workbook, whatever the case) that still reads well: a long title is cut after its last
    whole word, a repeated one gets " (2)", " (3)" … within the limit. `used` holds the
    lower-cased names already taken and is updated."""
    clean = " ".join("".join(" " if c in SHEET_TITLE_FORBIDDEN else c for c in title).split())
    clean = clean.strip("'") or "Sheet"
    name, n = _cut_at_word(clean, SHEET_TITLE_MAX), 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = _cut_at_word(clean, SHEET_TITLE_MAX - len(suffix)) + suffix, n + 1
    used.add(name.lower())
    return name


def _cut_at_word(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    # The last space within the limit ends the last whole word; a single long word is cut.
    space = cut.rfind(" ")
    head = cut[:space] if space > 0 else text[:limit]
    return head.rstrip(" –-,;·.(") or text[:limit]


def make_inert(workbook: Workbook) -> None:
    for sheet in workbook.worksheets:
        if isinstance(sheet, WriteOnlyWorksheet):
            # Its cells were made inert when built (`cell`), and it cannot be read back.
            continue
        for sheet_row in sheet.iter_rows():
            for one in sheet_row:
                if looks_like_formula(one.value):
                    one.data_type = "s"
                    one.quotePrefix = True


def save_to_file(workbook: Workbook):
    """The workbook written to an anonymous temporary file, rewound (deleted when closed)."""
    make_inert(workbook)
    # Closed by the caller (or by FileResponse when the download ends).
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        workbook.save(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def save(workbook: Workbook) -> bytes:
    with save_to_file(workbook) as handle:
        return handle.read()


def download(workbook: Workbook, filename: str) -> FileResponse:
    """An .xlsx attachment streamed from a temporary file: the file is never held in memory
    whole, and the temporary file is removed when the response is closed."""
    response = FileResponse(
        save_to_file(workbook), as_attachment=True, filename=filename, content_type=XLSX_TYPE
    )
    return response
