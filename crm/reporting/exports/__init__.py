"""List exports: every list page's rows as filtered on screen, streamed to .xlsx (xlsx holds the
shared writer, with formula escaping); also the import template and error workbook.
"""
