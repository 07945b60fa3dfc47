"""The installable shell: the service worker, the manifest, the offline page, and the drafts page."""

import json

from flask import Response, render_template, url_for
from flask_login import login_required

from crm.blueprints.field.blueprint import bp
from crm.blueprints.field.shell import app_shell, manifest_data
from crm.models.visit import VISIT_KINDS
from crm.permissions import roles_required
from crm.timeutil import to_local, utcnow

# Pages the worker keeps (network first, the copy when offline): home, 我的企业, a firm's page, its
# visit form and the drafts. JavaScript regular expressions over the path.
OFFLINE_PAGES = (
    r"^/$",
    r"^/cadres/\d+$",
    r"^/enterprises/\d+$",
    r"^/enterprises/\d+/visits/new$",
    r"^/visits/drafts$",
)
# Fetched once and kept for the worker's version (cache first).
STATIC_PREFIXES = ("/static/", "/bootstrap/static/")


@bp.route("/sw.js")
def service_worker():
    shell = app_shell()
    body = render_template(
        "field/sw.js",
        version=shell.version,
        precache=list(shell.urls),
        offline_url=url_for("field.offline"),
        pages=list(OFFLINE_PAGES),
        static_prefixes=list(STATIC_PREFIXES),
        clear_on=[url_for("auth.login"), url_for("auth.logout")],
    )
    resp = Response(body, mimetype="text/javascript")
    # Browsers check the worker for updates on navigation; never let a cache answer for it.
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.route("/manifest.webmanifest")
def manifest():
    body = json.dumps(manifest_data(), ensure_ascii=False)
    resp = Response(body, mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.route("/offline")
def offline():
    """What the worker shows for a page it does not keep while there is no connection (no user data)."""
    return render_template("field/offline.html", shell=app_shell())


@bp.route("/visits/drafts")
@login_required
@roles_required("visit.log")
def drafts():
    """待同步: the visits kept on this device (listed by the page's script from the device's storage)."""
    return render_template("field/drafts.html", kinds=VISIT_KINDS)


@bp.app_template_global("field_rendered_at")
def rendered_at() -> str:
    """When the page was made, local time: shown when a kept copy is displayed offline."""
    return to_local(utcnow()).strftime("%Y-%m-%d %H:%M")
