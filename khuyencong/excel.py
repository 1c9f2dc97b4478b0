"""What every .xlsx the portal writes has in common: nothing in it runs when it is opened.

A text that starts with =, +, -, @, a tab or a carriage return is what spreadsheet programs
take for a formula ("formula injection": a facility named =HYPERLINK(…) would leak the sheet).
Every writer saves through `save`, which stores such texts as plain text cells marked with the
quote prefix (Excel shows them as typed and keeps them text when edited).
"""

import io

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def make_inert(workbook: Workbook) -> None:
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def save(workbook: Workbook) -> bytes:
    make_inert(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
