"""Spreadsheet import of the registry: reading a file within limits (parse, on top of
crm.services.common.spreadsheets), checking every row without changing anything (validate), the
stored uploads (uploads), preview / all-or-nothing apply (enterprises), and large files queued for the
imports job (tasks).
"""
