from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm.blueprints.boundary import run_step
from crm.blueprints.system.blueprint import bp
from crm.blueprints.system.forms import ChannelsForm, ChannelTestForm
from crm.jobs import JOBS, counts_text
from crm.models.notification import CHANNELS, DELIVERY_STATUSES
from crm.pagination import paginate
from crm.permissions import roles_required
from crm.services.common.args import arg_choice
from crm.services.notifications.channels import (
    channel_form_data,
    channel_settings,
    secrets_status,
    update_channel_settings,
)
from crm.services.notifications.delivery import send_test_message
from crm.services.notifications.delivery_log import delivery_log_query, delivery_summary, job_runs_query
from crm.services.system.job_status import job_states
from crm.timeutil import utcnow


@bp.app_template_filter("job_counts")
def job_counts(counts) -> str:
    return counts_text(counts)


@bp.route("/jobs")
@login_required
@roles_required("jobs.view")
def jobs():
    states, any_run = job_states(JOBS.values(), utcnow())
    job = arg_choice(request.args, "job", JOBS)
    runs = paginate(job_runs_query(job or None), per_page=20)
    return render_template("system/jobs.html", states=states, any_run=any_run, runs=runs, job=job, jobs=JOBS)


@bp.route("/channels", methods=["GET", "POST"])
@login_required
@roles_required("settings.channels")
def channels():
    settings = channel_settings()
    current = channel_form_data(settings)
    form = ChannelsForm(data=current) if request.method == "GET" else ChannelsForm()
    if form.validate_on_submit():
        if run_step(update_channel_settings, current_user, form.data, success="通知渠道设置已保存"):
            return redirect(url_for("system.channels"))
    return render_template(
        "system/channels.html",
        form=form,
        current=current,
        secrets=secrets_status(),
        test_form=ChannelTestForm(),
        channels=CHANNELS,
    )


@bp.route("/channels/test/<channel>", methods=["POST"])
@login_required
@roles_required("settings.channels")
def channel_test(channel: str):
    if channel not in CHANNELS:
        abort(404)
    form = ChannelTestForm()
    error = send_test_message(channel, current_user, (form.to_email.data or "").strip() or None)
    if error:
        flash(f"{CHANNELS[channel]}测试消息发送失败：{error}", "danger")
    else:
        flash(f"{CHANNELS[channel]}测试消息已发送，请查收", "success")
    return redirect(url_for("system.channels"))


@bp.route("/deliveries")
@login_required
@roles_required("settings.channels")
def deliveries():
    status = arg_choice(request.args, "status", DELIVERY_STATUSES)
    channel = arg_choice(request.args, "channel", CHANNELS)
    page = paginate(delivery_log_query(status or None, channel or None), per_page=30)
    return render_template(
        "system/deliveries.html",
        page=page,
        status=status,
        channel=channel,
        statuses=DELIVERY_STATUSES,
        channels=CHANNELS,
        summary=delivery_summary(),
    )
