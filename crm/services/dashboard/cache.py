"""A short-lived, per-process cache for the home pages' aggregate figures.

A city-wide dashboard counts every firm, visit and problem in scope; recomputing that on every page
view would make the page cost grow with the city. The figures are plain data (no ORM objects), keyed
by what decides them (the viewer's scope, the park filter, today) and kept DASHBOARD_CACHE_SECONDS
(default 300). The page says when its figures were computed and offers 刷新 (fresh=True) to
recompute at once. Tests set the lifetime to 0 (no caching).
"""

import threading
import time
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from flask import current_app

from crm.timeutil import utcnow

_LOCK = threading.Lock()
_ENTRIES: dict[Hashable, tuple[float, datetime, Any]] = {}
MAX_ENTRIES = 500


def cached_figures(key: Hashable, compute: Callable[[], Any], fresh: bool = False) -> tuple[Any, datetime]:
    """(value, computed_at UTC) for key, computing it when missing, expired or fresh is asked for."""
    lifetime = float(current_app.config.get("DASHBOARD_CACHE_SECONDS", 300))
    now = time.monotonic()
    if lifetime > 0 and not fresh:
        with _LOCK:
            entry = _ENTRIES.get(key)
        if entry and entry[0] > now:
            return entry[2], entry[1]
    value, computed_at = compute(), utcnow()
    if lifetime > 0:
        with _LOCK:
            if len(_ENTRIES) >= MAX_ENTRIES:  # a bounded cache: drop the oldest entries
                for old in sorted(_ENTRIES, key=lambda k: _ENTRIES[k][0])[: MAX_ENTRIES // 2]:
                    _ENTRIES.pop(old, None)
            _ENTRIES[key] = (now + lifetime, computed_at, value)
    return value, computed_at


def clear_figures() -> None:
    """Forget every cached figure (tests, and after a restore)."""
    with _LOCK:
        _ENTRIES.clear()
