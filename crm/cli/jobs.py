"""`flask crm scheduler` (the leader runs the jobs, standbys wait for the lock) and `flask crm run-jobs`
(run jobs once: cron, tests)."""

import signal
import sys
import threading
from datetime import date

import click
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from flask import current_app
from flask.cli import with_appcontext

from crm.extensions import db
from crm.jobs import (
    JOBS,
    Job,
    counts_text,
    past_day_refusal,
    run_job,
)
from crm.scheduler import (
    ClusterLock,
    acquire_scheduler_lock,
    build_scheduler,
    poll_seconds,
    stop_inprocess_scheduler,
    uses_cluster_lock,
)

EXIT_UNKNOWN = 2


def _select(names: tuple[str, ...]) -> list[Job]:
    """The named jobs (all when none named); exits 2 with the list of job names on an unknown one."""
    unknown = [n for n in names if n not in JOBS]
    if unknown:
        known = "、".join(f"{job.name}（{job.label}）" for job in JOBS.values())
        click.echo(f"未知任务：{'、'.join(unknown)}。可用任务：{known}", err=True)
        sys.exit(EXIT_UNKNOWN)
    return [JOBS[n] for n in names] if names else list(JOBS.values())


@click.command(
    "run-jobs",
    help="立即运行一次定时任务（供 cron 和测试使用）：全部成功退出码 0，有任务失败 1，任务名或日期错误 2。"
    "同一任务正在别处运行时先等它结束；无事可做或等待超时的任务不运行，不算失败。"
    "依据当前状态判断的任务（提醒、提级）不能按以前的日期补跑：这时一个任务也不运行，退出码 2",
)
@click.option("--job", "names", multiple=True, help="只运行这些任务（可重复）；默认运行全部")
@click.option(
    "--today",
    "today_text",
    default=None,
    help="按这一天（YYYY-MM-DD）计算，默认今天；提醒和提级只能按今天或以后的日期运行",
)
@with_appcontext
def run_jobs_command(names: tuple[str, ...], today_text: str | None) -> None:
    """Run jobs once now: exit 0 when all succeed (or were not needed), 1 when one failed, 2 on an unknown
    job or bad date, or on an earlier day for a job that decides from the current state (then none runs)."""
    jobs = _select(names)
    stop_inprocess_scheduler()
    today = None
    if today_text:
        try:
            today = date.fromisoformat(today_text)
        except ValueError:
            click.echo(f"日期格式不正确：{today_text}（应为 YYYY-MM-DD）", err=True)
            sys.exit(EXIT_UNKNOWN)
        refusals = [(job, past_day_refusal(job, today)) for job in jobs]
        for job, refusal in refusals:
            if refusal is not None:
                click.echo(f"✗ {job.label}（{job.name}）不能补跑：{refusal}", err=True)
        if any(refusal is not None for _job, refusal in refusals):
            click.echo("未运行任何任务", err=True)
            sys.exit(EXIT_UNKNOWN)
    # current_app is typed as Flask, not as the LocalProxy it is, so the unwrapping method is not visible.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    failed = 0
    for job in jobs:
        run = run_job(app, job, today=today)
        if run.status == "ok":
            click.echo(f"✓ {job.label}（{job.name}）：{counts_text(run.counts)}")
        elif run.status == "skipped":  # nothing to do, or another run of it is doing the work
            click.echo(f"- {job.label}（{job.name}）未运行：{run.error}")
        elif run.status == "refused":  # the day passed midnight since the check above
            failed += 1
            click.echo(f"✗ {job.label}（{job.name}）不能补跑：{run.error}", err=True)
        else:
            failed += 1
            click.echo(f"✗ {job.label}（{job.name}）运行失败：{run.error}", err=True)
    if failed:
        click.echo(f"{failed} 个任务运行失败，详情见“任务状态”页面", err=True)
        sys.exit(1)


@click.command(
    "scheduler",
    help="运行调度进程（生产环境每台主机可各启动一个：PostgreSQL 上只有一个担任领导者运行任务，"
    "其余待命，领导者退出后一分钟内接替；收到 SIGTERM/Ctrl-C 后安全退出）",
)
@click.option("--job", "names", multiple=True, help="只调度这些任务（可重复）；默认全部")
@click.option(
    "--interval", type=click.IntRange(1), default=None, help="试运行：每 N 秒运行一次，代替正式时间表"
)
@with_appcontext
def scheduler_command(names: tuple[str, ...], interval: int | None) -> None:
    """Run the scheduler until SIGTERM or Ctrl-C: the leader runs the jobs, a standby waits for the lock."""
    jobs = _select(names)
    stop_inprocess_scheduler()
    # current_app is typed as Flask, not as the LocalProxy it is, so the unwrapping method is not visible.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stopping = threading.Event()

    def stop(signum, _frame) -> None:
        click.echo(f"收到信号 {signal.Signals(signum).name}，等待正在运行的任务结束后退出…")
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if uses_cluster_lock(db.engine):
        sys.exit(_lead_the_cluster(app, jobs, interval, stopping))
    if not acquire_scheduler_lock(app):
        click.echo("本机已有调度进程在运行（锁文件被占用），不再启动第二个", err=True)
        sys.exit(1)
    _run_until(app, jobs, interval, stopping, still_leading=lambda: True)


def _lead_the_cluster(app, jobs: list[Job], interval: int | None, stopping: threading.Event) -> int:
    """PostgreSQL: wait as a standby until this process holds the cluster lock, then run the jobs for as
    long as it holds it. Exit status 0 on a signal, 1 when leadership was lost (restart to stand by)."""
    lock = ClusterLock(db.engine)
    poll = poll_seconds()
    if not lock.try_acquire():
        click.echo(f"已有调度进程担任领导者，本进程待命（每 {poll:g} 秒检查一次，领导者退出后接替）")
        sys.stdout.flush()
        while not lock.try_acquire():
            if stopping.wait(poll):
                click.echo("调度器已停止（待命中）")
                return 0
        click.echo("原领导者已退出，本进程接替运行任务")
    try:
        kept = _run_until(app, jobs, interval, stopping, still_leading=lock.held, poll=poll)
    finally:
        lock.release()
    if not kept:
        click.echo("失去调度领导权（数据库连接中断），已停止运行任务；请重新启动本进程以待命", err=True)
        return 1
    return 0


def _run_until(
    app, jobs: list[Job], interval: int | None, stopping: threading.Event, still_leading, poll=1.0
):
    """Run the jobs until a signal (True) or until still_leading() answers False (False)."""
    scheduler = build_scheduler(app, BackgroundScheduler, jobs, interval_seconds=interval)
    for job in jobs:
        plan = f"每 {interval} 秒" if interval else job.schedule_label
        click.echo(f"  {job.label}（{job.name}）：{plan}")
    scheduler.start()
    click.echo(f"调度器已启动（Asia/Shanghai），共 {len(jobs)} 个任务；按 Ctrl-C 或发送 SIGTERM 停止")
    sys.stdout.flush()
    leading = True
    while not stopping.wait(poll):
        if not still_leading():
            leading = False
            break
    try:
        scheduler.shutdown(wait=True)
    except SchedulerNotRunningError:
        pass
    click.echo("调度器已停止")
    return leading


COMMANDS = [run_jobs_command, scheduler_command]
