"""服务码: the list of firms with their codes, a firm's card (print), issuing and revoking, the park sheet."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm.blueprints.boundary import run_step
from crm.blueprints.firm_voice.blueprint import bp
from crm.blueprints.firm_voice.forms import RevokeForm
from crm.blueprints.firm_voice.helpers import base_is_local, service_url
from crm.extensions import db
from crm.models import Park
from crm.pagination import paginate
from crm.permissions import can, get_enterprise_or_404, roles_required, visible_parks
from crm.services.common.args import arg_flag, arg_id
from crm.services.portal.codes import (
    active_code,
    code_counts,
    codes_of,
    firms_for_codes,
    issue_missing_codes,
    issue_service_code,
    revoke_service_code,
)
from crm.services.portal.qr import qr_svg

SHEET_PER_PAGE = 48  # cards per printed sheet request (six per A4 page)


def _park() -> Park | None:
    park_id = arg_id(request.args, "park") or arg_id(request.form, "park")
    return db.session.scalar(visible_parks(current_user).where(Park.id == park_id)) if park_id else None


def _parks() -> list[Park]:
    return list(db.session.scalars(visible_parks(current_user)))


@bp.route("/firm-voice/")
@login_required
@roles_required("service_code.view")
def index():
    park = _park()
    missing = arg_flag(request.args, "missing")
    page = paginate(firms_for_codes(current_user, park.id if park else None, missing), per_page=20)
    codes = codes_of([f.id for f in page.items])
    total, with_code = code_counts(current_user, park.id if park else None)
    return render_template(
        "firm_voice/codes.html",
        page=page,
        codes=codes,
        park=park,
        parks=_parks(),
        missing=missing,
        total=total,
        with_code=with_code,
    )


@bp.route("/firm-voice/codes/issue-missing", methods=["POST"])
@login_required
@roles_required("service_code.manage")
def issue_missing():
    park = _park()
    run_step(
        issue_missing_codes,
        current_user,
        park.id if park else None,
        success=lambda n: f"已为 {n} 家企业发放服务码" if n else ("所有企业均已有服务码", "info"),
    )
    return redirect(url_for("firm_voice.index", park=park.id if park else None))


@bp.route("/firm-voice/codes/sheet")
@login_required
@roles_required("service_code.view")
def sheet():
    park = _park()
    page = paginate(firms_for_codes(current_user, park.id if park else None), per_page=SHEET_PER_PAGE)
    codes = codes_of([f.id for f in page.items])
    cards = []
    for firm in page.items:
        url = service_url(codes.get(firm.id))
        if url:
            cards.append({"firm": firm, "url": url, "qr": qr_svg(url)})
    return render_template(
        "firm_voice/sheet.html",
        page=page,
        cards=cards,
        park=park,
        local=base_is_local(),
        missing=len(page.items) - len(cards),
    )


@bp.route("/enterprises/<int:enterprise_id>/service-code")
@login_required
def card(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "service_code.view")
    code = active_code(firm)
    url = service_url(code)
    return render_template(
        "firm_voice/card.html",
        firm=firm,
        code=code,
        url=url,
        qr=qr_svg(url) if url else None,
        local=base_is_local(),
        revoke_form=RevokeForm(),
        may_manage=can(current_user, "service_code.manage", firm),
    )


@bp.route("/enterprises/<int:enterprise_id>/service-code/issue", methods=["POST"])
@login_required
def issue(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "service_code.manage")
    reissue = active_code(firm) is not None
    done = "已重新发放服务码，原服务码和卡片已作废，请打印新卡片交给企业" if reissue else "已发放服务码"
    run_step(issue_service_code, firm, current_user, success=done)
    return redirect(url_for("firm_voice.card", enterprise_id=firm.id))


@bp.route("/enterprises/<int:enterprise_id>/service-code/revoke", methods=["POST"])
@login_required
def revoke(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "service_code.manage")
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "页面已过期，请刷新后重试", "danger")
    else:
        run_step(
            revoke_service_code,
            firm,
            current_user,
            form.reason.data,
            success="服务码已作废，原链接和二维码已失效",
        )
    return redirect(url_for("firm_voice.card", enterprise_id=firm.id))
