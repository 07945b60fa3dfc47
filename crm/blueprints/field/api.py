"""JSON endpoints of the field app: who is signed in (with a fresh CSRF token), the firms whose forms the
phone keeps, and a visit sent at once or from a draft.

Answers are JSON whatever happens, so the phone can tell a refusal (kept with the draft, in Chinese)
from a lost connection or an ended session (the draft waits and is sent again).
"""

import json

from flask import Response, current_app, flash, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import RequestEntityTooLarge

from crm.blueprints.boundary import run_step
from crm.blueprints.field.blueprint import bp
from crm.blueprints.visits.forms import VisitForm
from crm.permissions import can
from crm.services.common.args import arg_id
from crm.services.common.attachments import human_size
from crm.services.visits.sync import OUT_OF_REACH, offline_firms, sync_visit
from crm.timeutil import today

LOGIN_NEEDED = "登录已失效，请重新登录；走访已保存在本设备，登录后会自动同步"
NOT_ALLOWED = "您的账号不能记录走访"


def _answer(status: str, code: int, **fields):
    # Chinese as is (not \u escapes): the reasons are read in logs and by people checking the API.
    body = json.dumps({"status": status, **fields}, ensure_ascii=False)
    resp = Response(body, status=code, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _refused(message: str, code: int = 422, fields: dict | None = None, fixable: bool = True):
    return _answer("refused", code, error=message, fields=fields or {}, fixable=fixable)


@bp.errorhandler(CSRFError)
def csrf_error(_error):
    return _answer("csrf", 400, error="页面已过期，请刷新后重试")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    limit = human_size(current_app.config["MAX_CONTENT_LENGTH"])
    return _refused(f"附件合计超过{limit}，请删去部分照片或压缩后重新提交", 413)


@bp.route("/field/session")
def session_info():
    """The signed-in user and a CSRF token for the next POST (the page's own may be from a kept copy)."""
    if not current_user.is_authenticated:
        return _answer("login", 401, error=LOGIN_NEEDED)
    return _answer("ok", 200, user_id=current_user.id, csrf_token=generate_csrf())


@bp.route("/field/forms")
def offline_forms():
    """The visit forms a cadre's phone keeps for use without a connection."""
    if not current_user.is_authenticated:
        return _answer("login", 401, error=LOGIN_NEEDED)
    if not can(current_user, "visit.log"):
        return _refused(NOT_ALLOWED, 403)
    forms = [
        {"firm_id": firm_id, "name": name, "url": url_for("visits.create", enterprise_id=firm_id)}
        for firm_id, name in offline_firms(current_user)
    ]
    return _answer("ok", 200, user_id=current_user.id, forms=forms)


def _field_errors(form: VisitForm) -> dict[str, list[str]]:
    """form.errors with sub-forms flattened to the inputs' names (product-name …)."""
    out: dict[str, list[str]] = {}
    for name, errors in form.errors.items():
        if isinstance(errors, dict):
            for sub, messages in errors.items():
                out[f"{name}-{sub}"] = list(messages)
        else:
            out[name] = list(errors)
    return out


@bp.route("/visits/sync", methods=["POST"])
def sync():
    """A visit from the field app: 201 logged, 200 logged before (same client id), 422 refused."""
    if not current_user.is_authenticated:
        return _answer("login", 401, error=LOGIN_NEEDED)
    if not can(current_user, "visit.log"):
        return _refused(NOT_ALLOWED, 403)
    form = VisitForm()
    if not form.validate_on_submit():
        fields = _field_errors(form)
        if "csrf_token" in fields:
            return _answer("csrf", 400, error="页面已过期，请刷新后重试")
        message = "；".join(dict.fromkeys(m for messages in fields.values() for m in messages))
        return _refused(message or "提交的内容无效", fields=fields)
    step = run_step(
        sync_visit,
        current_user,
        arg_id(request.form, "enterprise_id"),
        form.client_id.data,
        form.visit_data(),
        today(),
        files=form.uploads(),
        location=form.location_data(),
        **form.sections(),
        flash_error=False,
    )
    if not step:
        # A firm out of reach cannot be fixed from the phone: the draft can only be discarded.
        return _refused(step.error, fixable=step.error != OUT_OF_REACH)
    visit, created = step.value.visit, step.value.created
    if request.form.get("flash") == "1":  # the form itself is moving on to the firm's page
        flash(
            "走访记录已保存" if created else "这条走访已经保存过，没有重复记录",
            "success" if created else "info",
        )
    return _answer(
        "created" if created else "exists",
        201 if created else 200,
        visit_id=visit.id,
        evidence=visit.evidence_label,
        url=url_for("visits.detail", visit_id=visit.id),
        firm_url=url_for("enterprises.detail", enterprise_id=visit.enterprise_id, tab="visits"),
    )
