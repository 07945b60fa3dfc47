"""Spreadsheet import of the registry: reading a file (parse), checking every row without changing
anything (validate), the stored uploads (uploads), and preview / all-or-nothing apply (enterprises).
"""
