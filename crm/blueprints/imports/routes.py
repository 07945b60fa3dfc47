from pathlib import Path

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from crm.blueprints.boundary import run_step
from crm.blueprints.imports.blueprint import bp
from crm.blueprints.imports.forms import ImportForm
from crm.permissions import get_import_task_or_404, roles_required
from crm.reporting.exports.imports import import_error_report, import_template
from crm.services.enterprises.registry import FIELD_LABELS
from crm.services.imports.enterprises import (
    STALE_IMPORT,
    import_enterprises,
    import_limits,
)
from crm.services.imports.tasks import import_task_file, receive_import_upload, recent_import_tasks
from crm.services.imports.uploads import (
    StoredUpload,
    UploadNotFound,
    discard_import_upload,
    get_import_upload,
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
        step = run_step(
            receive_import_upload,
            form.file.data.stream,
            form.file.data.filename,
            current_user,
            include_hidden=bool(form.include_hidden.data),
        )
        if step and step.value.task is not None:
            task = step.value.task
            flash(f"文件共 {task.rows_total} 行，超过网页导入的上限，已转入后台导入，本页会显示进度", "info")
            return redirect(url_for("imports.task", task_id=task.id))
        if step:
            return redirect(url_for("imports.preview", token=step.value.token))
    return render_template(
        "imports/index.html",
        form=form,
        limits=import_limits(web=True),
        max_rows=import_limits().max_rows,
        tasks=recent_import_tasks(current_user),
    )


@bp.route("/tasks/<int:task_id>")
@login_required
@roles_required("enterprise.import")
def task(task_id: int):
    return render_template("imports/task.html", task=get_import_task_or_404(task_id))


@bp.route("/tasks/<int:task_id>/errors.xlsx")
@login_required
@roles_required("enterprise.import")
def task_errors(task_id: int):
    task = get_import_task_or_404(task_id)
    if task.status != "refused":
        abort(404)
    step = run_step(_task_error_report, task, commit=False)
    if not step:
        return redirect(url_for("imports.task", task_id=task.id))
    return send_file(
        step.value,
        as_attachment=True,
        download_name=f"{Path(task.filename).stem}_错误报告.xlsx",
        mimetype=XLSX,
    )


def _task_error_report(task):
    """The error workbook of a refused background import, checked as the task was (its creator's scope)."""
    return import_error_report(import_task_file(task), task.created_by, keep_hidden=task.include_hidden)


@bp.route("/template.xlsx")
@login_required
@roles_required("enterprise.import")
def template():
    return send_file(
        import_template(current_user), as_attachment=True, download_name="企业导入模板.xlsx", mimetype=XLSX
    )


@bp.route("/<token>")
@login_required
@roles_required("enterprise.import")
def preview(token: str):
    upload = _upload_or_404(token)
    keep_hidden = request.args.get("hidden") == "1"
    step = run_step(
        import_enterprises,
        upload.path,
        current_user,
        today(),
        dry_run=True,
        keep_hidden=keep_hidden,
        web=True,
        commit=False,
    )
    if not step:
        discard_import_upload(token)  # a file that cannot be previewed is of no further use
        return redirect(url_for("imports.index"))
    return render_template(
        "imports/preview.html",
        upload=upload,
        result=step.value,
        field_labels=FIELD_LABELS | {"qualifications": "资质", "tag_ids": "标签"},
        keep_hidden=keep_hidden,
    )


@bp.route("/<token>/commit", methods=["POST"])
@login_required
@roles_required("enterprise.import")
def commit(token: str):
    upload = _upload_or_404(token)
    # All or nothing: a firm edited by someone else meanwhile refuses the whole file.
    keep_hidden = request.form.get("keep_hidden") == "1"  # as the confirmed preview showed it
    back = url_for("imports.preview", token=token, hidden="1" if keep_hidden else None)
    step = run_step(
        import_enterprises,
        upload.path,
        current_user,
        today(),
        keep_hidden=keep_hidden,
        web=True,
        stale=STALE_IMPORT,
    )
    if not step:
        return redirect(back)
    if not step.value.applied:  # the file has errors: nothing was written
        flash("文件中有错误，未导入任何数据，请下载错误报告修改后重新上传", "danger")
        return redirect(back)
    discard_import_upload(token)
    flash(f"导入完成：{step.value.summary()}", "success")
    return redirect(url_for("enterprises.index"))


@bp.route("/<token>/errors.xlsx")
@login_required
@roles_required("enterprise.import")
def errors(token: str):
    upload = _upload_or_404(token)
    keep_hidden = request.args.get("hidden") == "1"
    step = run_step(
        import_error_report, upload.path, current_user, keep_hidden=keep_hidden, web=True, commit=False
    )
    if not step:
        discard_import_upload(token)
        return redirect(url_for("imports.index"))
    return send_file(
        step.value,
        as_attachment=True,
        download_name=f"{Path(upload.filename).stem}_错误报告.xlsx",
        mimetype=XLSX,
    )
