"""Bounded reading of uploaded spreadsheets (.xlsx, .csv), for every import.

An .xlsx is a zip of XML parts, so a few kilobytes can claim a sheet of a million rows, expand to
gigabytes, or put one cell so far away that a reader allocates the whole rectangle up to it. Nothing is
trusted until it was measured, cheapest check first:

1. archive: the zip's end record and central directory (counts and declared sizes, nothing inflated):
   too many parts, too much unpacked data in all or in one part, a compression ratio no workbook has;
2. scan: the parts the reader will load, streamed through expat in constant memory: every shared
   string's length, and per sheet where each value cell sits and how long its text is (a shared string
   counts at every cell that uses it), which rows are hidden and which cells are merged;
3. read: only then python-calamine reads the values. It never looks at <dimension>, so neither a
   claimed A1:XFD1048576 nor an understated A1:B2 changes what is read.

Every refusal is a SpreadsheetError with a Chinese message, naming the row and column where there is
one. A CSV is capped in bytes, decoded as UTF-8 or GBK (GB 18030) and held to the same row, column and
cell limits.
"""

from crm.services.common.spreadsheets.archive import check_xlsx_archive
from crm.services.common.spreadsheets.limits import (
    Sheet,
    SpreadsheetError,
    SpreadsheetLimits,
    cell_name,
    column_letter,
)
from crm.services.common.spreadsheets.read import read_csv_sheet, read_xlsx_sheets

__all__ = [
    "Sheet",
    "SpreadsheetError",
    "SpreadsheetLimits",
    "cell_name",
    "check_xlsx_archive",
    "column_letter",
    "read_csv_sheet",
    "read_xlsx_sheets",
]
