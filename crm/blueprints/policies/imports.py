"""Importing policies from a spreadsheet (template, check, all-or-nothing import) and the library export."""

import tempfile
from pathlib import Path

from flask import flash, render_template, request, send_file
from flask_login import current_user, login_required

from crm.blueprints.boundary import run_step
from crm.blueprints.policies.blueprint import bp
from crm.blueprints.policies.forms import PolicyImportForm
from crm.blueprints.policies.routes import library_query
from crm.extensions import db
from crm.permissions import roles_required
from crm.reporting.exports.policies import export_policy_library, policy_import_template
from crm.services.imports.enterprises import import_limits
from crm.services.imports.parse import file_extension
from crm.services.policies.importer import COLUMNS, REQUIRED, import_policies
from crm.services.policies.matching import policy_counts
from crm.timeutil import today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/policies/import", methods=["GET", "POST"])
@login_required
@roles_required("policy.manage")
def import_file():
    form = PolicyImportForm()
    result = None
    dry_run = request.form.get("dry_run") == "1"
    if form.validate_on_submit():
        upload = form.file.data
        ext = file_extension(getattr(upload, "filename", "") or "")
        if not upload or not upload.filename:
            flash("请选择要导入的文件", "danger")
        elif ext not in ("xlsx", "csv"):
            flash("只支持 .xlsx 或 .csv 文件（.xls 请在 Excel 中另存为 .xlsx）", "danger")
        else:
            with tempfile.TemporaryDirectory(prefix="crm-policies-") as folder:
                path = Path(folder) / f"upload.{ext}"
                upload.save(path)
                limits = import_limits(web=True)
                step = run_step(import_policies, path, current_user, today(), limits, dry_run=dry_run)
            result = step.value if step else None
            if result is not None and result.applied:
                flash(f"导入完成：新增 {result.count('新增')} 项，更新 {result.count('更新')} 项", "success")
            elif result is not None and not result.ok:
                flash("文件中有错误，未导入任何政策，请按下面的提示修改后重新上传", "danger")
    return render_template(
        "policies/import.html", form=form, result=result, dry_run=dry_run, columns=COLUMNS, required=REQUIRED
    )


@bp.route("/policies/import/template.xlsx")
@login_required
@roles_required("policy.manage")
def import_template():
    return send_file(
        policy_import_template(), as_attachment=True, download_name="政策导入模板.xlsx", mimetype=XLSX
    )


@bp.route("/policies/export.xlsx")
@login_required
@roles_required("policy.view")
def export():
    stmt, _filters = library_query()
    policies = list(db.session.scalars(stmt))
    data = export_policy_library(policies, policy_counts(policies, today(), current_user))
    return send_file(data, as_attachment=True, download_name=f"政策库_{today():%Y%m%d}.xlsx", mimetype=XLSX)
