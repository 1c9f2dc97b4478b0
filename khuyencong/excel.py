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
from collections.abc import Iterable, Sequence
from copy import copy

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import NamedStyle
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Sheet names: Excel's limit, and characters it refuses.
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = "[]:*?/\\"


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def streaming_workbook() -> Workbook:
    """A write-only workbook: create sheets with `create_sheet`, set column widths, freeze
    panes and print titles before the first `append`, auto filter and merged ranges any time
    before saving."""
    return Workbook(write_only=True)


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

    The style of each column is looked up once; each styled cell then shares it (openpyxl
    only reads it when writing). Unstyled values stay plain values, the cheapest thing
    openpyxl writes, unless a text looks like a formula."""

    def __init__(self, sheet, styles: Sequence[str | None]):
        self.sheet = sheet
        self.styles = [None if s is None else cell(sheet, None, style=s)._style for s in styles]

    def __call__(self, values: Sequence) -> list:
        out = []
        for value, style in zip(values, self.styles, strict=True):
            if value is None:
                out.append(None)
            elif looks_like_formula(value):
                made = WriteOnlyCell(self.sheet, value=value)
                if style is not None:
                    made._style = copy(style)
                made.data_type = "s"
                made.quotePrefix = True
                out.append(made)
            elif style is None:
                out.append(value)
            else:
                made = WriteOnlyCell(self.sheet, value=value)
                made._style = style
                out.append(made)
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
