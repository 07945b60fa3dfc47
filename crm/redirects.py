"""The one check for user-supplied redirect targets (`next`): same-site paths only, never an open redirect.

Every view that follows a `next` from a form or query string asks `safe_next(target, prefix)`: the
target must be a plain path starting with `prefix` (for example "/admin/"), with no scheme, no host,
no "//" or backslash anywhere (browsers read "/\\evil" and "/\\t/evil" as another host), and no control
characters or spaces (which browsers strip before parsing).
"""

from typing import Optional
from urllib.parse import urlsplit


def safe_next(target: Optional[str], prefix: str = "/") -> Optional[str]:
    """The target if it is a same-site path under `prefix`, else None (the caller uses its default)."""
    if not target or not target.startswith(prefix) or len(target) > 2000:
        return None
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    if "\\" in target or "//" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
