from pathlib import Path

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from crm.blueprints.imports.blueprint import bp
from crm.blueprints.imports.forms import ImportForm
from crm.extensions import db
from crm.permissions import roles_required
from crm.reporting.exports.imports import import_error_report, import_template
from crm.services import ServiceError
from crm.services.common.locking import refusal_message
from crm.services.enterprises.registry import FIELD_LABELS
from crm.services.imports.enterprises import (
    STALE_IMPORT,
    import_enterprises,
)
from crm.services.imports.uploads import (
    StoredUpload,
    UploadNotFound,
    discard_import_upload,
    get_import_upload,
    save_import_upload,
)
from crm.timeutil import today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_or_404(token: str) -> StoredUpload:
    """Another user's token answers 404 exactly like a token that never existed."""
    try:
        return get_import_upload(token, current_user)
    except UploadNotFound:
        abort(404)


@bp.route("/", methods=["GET", "POST"])
@login_required
@roles_required("enterprise.import")
def index():
    form = ImportForm()
    if form.validate_on_submit():
        try:
            token = save_import_upload(form.file.data.stream, form.file.data.filename, current_user)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            return redirect(url_for("imports.preview", token=token))
    return render_template("imports/index.html", form=form)


@bp.route("/template.xlsx")
@login_required
@roles_required("enterprise.import")
def template():
    return send_file(import_template(current_user), as_attachment=True, download_name="企业导入模板.xlsx",
                     mimetype=XLSX)


@bp.route("/<token>")
@login_required
@roles_required("enterprise.import")
def preview(token: str):
    upload = _upload_or_404(token)
    try:
        result = import_enterprises(upload.path, current_user, today(), dry_run=True)
    except ServiceError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("imports.index"))
    return render_template("imports/preview.html", upload=upload, result=result, field_labels=FIELD_LABELS)


@bp.route("/<token>/commit", methods=["POST"])
@login_required
@roles_required("enterprise.import")
def commit(token: str):
    upload = _upload_or_404(token)
    try:
        result = import_enterprises(upload.path, current_user, today())
        if result.applied:
            db.session.commit()
    except (ServiceError, StaleDataError) as exc:  # all or nothing: a firm edited meanwhile included
        db.session.rollback()
        flash(refusal_message(exc, STALE_IMPORT), "danger")
        return redirect(url_for("imports.preview", token=token))
    if not result.applied:
        db.session.rollback()
        flash("文件中有错误，未导入任何数据，请下载错误报告修改后重新上传", "danger")
        return redirect(url_for("imports.preview", token=token))
    discard_import_upload(token)
    flash(f"导入完成：{result.summary()}", "success")
    return redirect(url_for("enterprises.index"))


@bp.route("/<token>/errors.xlsx")
@login_required
@roles_required("enterprise.import")
def errors(token: str):
    upload = _upload_or_404(token)
    try:
        data = import_error_report(upload.path, current_user)
    except ServiceError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("imports.index"))
    return send_file(data, as_attachment=True, download_name=f"{Path(upload.filename).stem}_错误报告.xlsx",
                     mimetype=XLSX)
