"""The one pinned date of the suite: the app's CRM_TODAY in tests (tests/conftest.py) derives from it."""

from datetime import date

TODAY = date(2026, 11, 2)  # a Monday, the second day of the month
