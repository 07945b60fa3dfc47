"""Workers of the concurrency tests. Each worker is one user at a browser: its own test client, so its
own app context, session and database connection per request. The very same function runs in a thread
(sharing the test's app) or in a process started with the 'spawn' method (building its own app on the
same database URL), released together by a barrier so their writes really overlap.
"""

import multiprocessing
import queue
import re
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from config import TestConfig
from crm.extensions import db
from tests.support.dates import TODAY

BARRIER_TIMEOUT = 20  # seconds a worker waits for the others before giving up (never hang)
VERSION = re.compile(r'<input[^>]*name="version"[^>]*value="(\d+)"')


# ---- one user at a browser


def login(app, user_id: int):
    """A test client signed in as the user (the session cookie, as after a real login)."""
    from crm.models import User

    with app.app_context():
        session_id = db.session.get(User, user_id).get_id()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["_fresh"] = True
    return client


def flashes(client) -> str:
    """The messages the last POST flashed (read from the session instead of rendering the next page)."""
    with client.session_transaction() as sess:
        messages = sess.pop("_flashes", [])
    return "｜".join(text for _category, text in messages)


def page_version(client, url: str, form_action: str = "") -> str:
    """Open the page the user would act from and take the version its form carries.

    form_action picks one form of a page listing several rows (e.g. a tick-off button per item).
    """
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    html = resp.get_data(as_text=True)
    if form_action:
        start = html.index(f'action="{form_action}"')
        html = html[start : html.index("</form>", start)]
    found = VERSION.findall(html)
    assert found, f"{url} carries no version field"
    return found[0]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def firm_form(firm) -> dict:
    """What the firm's edit form posts back when the user changes nothing."""
    from crm.services.enterprises.registry import FIELD_LABELS

    data = {field: _text(getattr(firm, field)) for field in FIELD_LABELS if field != "is_key"}
    if firm.founded_on is not None:
        data["founded_on"] = firm.founded_on.isoformat()
    if firm.is_key:
        data["is_key"] = "y"
    return data


def product_form(item) -> dict:
    """What a product item's edit form posts back when the user changes nothing."""
    fields = ("name", "category", "capacity", "unit", "main_market", "note")
    return {field: _text(getattr(item, field)) for field in fields}


# ---- the scenarios (each returns what the user saw)


def edit_rounds(app, spec: dict, barrier) -> list[str]:
    """Round after round, read the form (values and version), wait for all, save it with one field changed.

    spec: user_id, kind ("firm" or "product"), row_id, url, field, values (one per round).
    """
    from crm.models import Enterprise, ProductItem

    model, to_form = {"firm": (Enterprise, firm_form), "product": (ProductItem, product_form)}[spec["kind"]]
    client = login(app, spec["user_id"])
    outcomes = []
    for value in spec["values"]:
        version = page_version(client, spec["url"])
        with app.app_context():
            data = to_form(db.session.get(model, spec["row_id"]))
        data |= {spec["field"]: value, "version": version}
        barrier.wait(BARRIER_TIMEOUT)  # everybody has read the same version
        client.post(spec["url"], data=data)
        outcomes.append(flashes(client))
        barrier.wait(BARRIER_TIMEOUT)  # everybody has written: the next round reads the result
    return outcomes


def race_post(app, spec: dict, barrier) -> str:
    """Open a page, wait for all, then submit one form on it (a workflow step, a tick-off …).

    spec: user_id, page (where the version is read), url (the POST), data; pick_form: the page has one
    form per row, read the version of the form posting to url.
    """
    client = login(app, spec["user_id"])
    version = page_version(client, spec["page"], spec["url"] if spec.get("pick_form") else "")
    barrier.wait(BARRIER_TIMEOUT)
    resp = client.post(spec["url"], data=spec.get("data", {}) | {"version": version})
    assert resp.status_code in (200, 302), (
        resp.status_code,
        spec["url"],
        resp.get_data(as_text=True)[:300],
    )  # never a 500
    return flashes(client)


def notify_once(app, spec: dict, barrier) -> bool:
    """Create the same reminder (one dedupe key) and commit; True if this worker's row was the one kept."""
    from crm.models import User
    from crm.services.notifications.inbox import notify

    with app.app_context():
        user = db.session.get(User, spec["user_id"])
        barrier.wait(BARRIER_TIMEOUT)
        made = notify(user, "system", "同一条提醒", dedupe_key=spec["key"])
        db.session.commit()
        return made is not None


def run_job_once(app, spec: dict, barrier) -> dict:
    """Start a scheduled job at the same moment as the others (one `flask crm run-jobs` each).

    spec: job, today (YYYY-MM-DD); slow: seconds each monthly workbook takes in this process, so that
    the runs would really overlap if nothing kept them apart (processes only: threads share the module,
    their test slows it down once). Returns how the run ended, and how many workbooks it built.
    """
    from datetime import date

    import crm.reporting.monthly.generate as generate
    from crm.jobs import JOBS, run_job

    real = generate.monthly_workbook
    built = []

    def slow_workbook(*args, **kwargs):
        built.append(1)
        time.sleep(spec["slow"])
        return real(*args, **kwargs)

    if spec.get("slow"):
        generate.monthly_workbook = slow_workbook
    try:
        barrier.wait(BARRIER_TIMEOUT)
        run = run_job(app, JOBS[spec["job"]], today=date.fromisoformat(spec["today"]))
    finally:
        generate.monthly_workbook = real
    return {"status": run.status, "counts": run.counts, "error": run.error, "workbooks": len(built),
            "started": run.started_at, "finished": run.finished_at}  # fmt: skip


SCENARIOS: dict[str, Callable] = {f.__name__: f for f in (edit_rounds, race_post, notify_once, run_job_once)}


# ---- running workers together


def _collect(results: dict, errors: list, n: int) -> list:
    assert not errors, "\n".join(errors)
    assert len(results) == n, f"only {len(results)} of {n} workers finished in time"
    return [results[i] for i in range(n)]


def run_in_threads(app, scenario: str, specs: list[dict], timeout: float = 60) -> list:
    """Run the scenario once per spec, each in its own thread; returns the results in spec order."""
    barrier = threading.Barrier(len(specs))
    results: dict[int, Any] = {}
    errors: list[str] = []

    def run(index: int, spec: dict) -> None:
        try:
            results[index] = SCENARIOS[scenario](app, spec, barrier)
        except Exception:  # reported by _collect: a worker's failure must fail the test
            barrier.abort()  # release the others instead of letting them wait for the timeout
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=run, args=(i, s), daemon=True) for i, s in enumerate(specs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return _collect(results, errors, len(specs))


def worker_app(url: str, upload_folder: str, reports_folder: str | None = None):
    """The app a spawned process builds for itself: the suite's settings on the same database."""
    from crm import create_app

    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "CRM_TODAY": TODAY.isoformat(),
        "UPLOAD_FOLDER": upload_folder,
    }
    if reports_folder is not None:
        settings["REPORTS_FOLDER"] = reports_folder
    return create_app(type("WorkerConfig", (TestConfig,), settings))


def _pool_main(url: str, upload_folder: str, tasks, out, barriers: dict, reports_folder=None) -> None:
    """A pool process: build an app once, then run the scenarios it is sent until told to stop."""
    app = worker_app(url, upload_folder, reports_folder)
    while (task := tasks.get()) is not None:
        index, scenario, spec, n = task
        try:
            out.put((index, True, SCENARIOS[scenario](app, spec, barriers[n])))
        except Exception:
            barriers[n].abort()
            out.put((index, False, traceback.format_exc()))
        finally:
            with app.app_context():
                db.engine.dispose()  # hold no connection between tasks (the suite TRUNCATEs tables)


class ProcessPool:
    """Spawned processes, each with its own app on the database URL, that run scenarios together.

    Starting a process costs seconds (importing the app), so a test module shares one pool. Every
    spec of a run goes to a different process; barriers for each group size are created up front
    because a multiprocessing barrier is shared by inheritance only.
    """

    def __init__(self, url: str, upload_folder: str, size: int, reports_folder: str | None = None):
        ctx = multiprocessing.get_context("spawn")
        self.size, self.closed = size, False
        self.barriers = {n: ctx.Barrier(n) for n in range(1, size + 1)}
        self.tasks = [ctx.Queue() for _ in range(size)]
        self.out = ctx.Queue()
        self.procs = [
            ctx.Process(
                target=_pool_main,
                args=(url, upload_folder, q, self.out, self.barriers, reports_folder),
                daemon=True,
            )
            for q in self.tasks
        ]
        for p in self.procs:
            p.start()

    def run(self, scenario: str, specs: list[dict], timeout: float = 60) -> list:
        """Run the scenario once per spec, each in another process; results in spec order."""
        n = len(specs)
        assert not self.closed, "the process pool was stopped after an earlier run timed out"
        assert n <= self.size, f"the pool has {self.size} processes, {n} asked for"
        for index, spec in enumerate(specs):
            self.tasks[index].put((index, scenario, spec, n))
        results: dict[int, Any] = {}
        errors: list[str] = []
        try:
            for _ in specs:
                index, ok, value = self.out.get(timeout=timeout)
                if ok:
                    results[index] = value
                else:
                    errors.append(value)
        except queue.Empty:
            errors.append(f"workers did not report within {timeout} s (the first run includes start-up)")
            self.close()
        self.barriers[n].reset()  # usable again even if a worker aborted it
        return _collect(results, errors, n)

    def close(self) -> None:
        """Stop the processes (politely, then by force)."""
        self.closed = True
        for q in self.tasks:
            q.put(None)
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
                p.join(5)
