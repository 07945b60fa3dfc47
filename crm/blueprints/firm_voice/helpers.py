"""The month a 企业之声 page shows, the public address of a service link, and the dashboards' card."""

from datetime import date
from typing import Optional

from flask import current_app, request, url_for
from flask_login import current_user

from crm.blueprints.firm_voice.blueprint import bp
from crm.models import ServiceCode
from crm.permissions import can, is_park_limited
from crm.services.common.args import arg_text
from crm.services.portal.callbacks import month_bounds
from crm.services.portal.codes import token_of
from crm.services.portal.figures import FirmVoiceFigures, firm_voice_figures
from crm.services.portal.withdrawals import unreviewed_count
from crm.timeutil import today

LOCAL_HOSTS = ("127.0.0.1", "localhost", "0.0.0.0", "[::1]")


def requested_month(default: Optional[str] = None) -> str:
    """?month=YYYY-MM if it is a real month not in the future, else default (this month)."""
    now = today()
    text = arg_text(request.args, "month", 7)
    try:
        start, _end = month_bounds(text)
    except ValueError:
        return default or f"{now:%Y-%m}"
    return text if date(2000, 1, 1) <= start <= now else (default or f"{now:%Y-%m}")


def public_base() -> str:
    """The address firms' phones reach: PUBLIC_BASE_URL when set, else the one this page was opened on."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def base_is_local() -> bool:
    """True when the links would point at this machine only (no phone outside could open them)."""
    return any(host in public_base() for host in LOCAL_HOSTS)


def service_url(code: Optional[ServiceCode]) -> Optional[str]:
    """The full link printed on the firm's card, or None (no code, or it cannot be printed again)."""
    token = token_of(code) if code is not None else None
    if token is None:
        return None
    return public_base() + url_for("firm_portal.home", token=token)


@bp.app_template_global()
def firm_voice_card(park_id: Optional[int] = None) -> Optional[dict]:
    """This month's 企业之声 figures for the dashboards (officers, leaders); None for others."""
    if not can(current_user, "firm_voice.view"):
        return None
    day = today()
    start, _end = month_bounds(f"{day:%Y-%m}")
    scope = current_user.park_id if is_park_limited(current_user) else park_id
    figures: FirmVoiceFigures = firm_voice_figures(scope, start, day)
    return {"f": figures, "unreviewed": unreviewed_count(current_user), "park_id": scope}
