"""Run the app as production does, for the smoke test and the load test: gunicorn on 127.0.0.1, the
one scheduler process, the `flask` commands, each a child process that is always stopped cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def free_port() -> int:
    """A TCP port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """Environment of a production process: CRM_ENV=production, a real secret, files under `folder`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "TEST_DATABASE"))}
    env.update(
        DATABASE_URL=database_url,
        CRM_ENV="production",
        SECRET_KEY=os.urandom(32).hex(),
        CRM_UPLOAD_FOLDER=str(folder / "uploads"),
        CRM_REPORTS_FOLDER=str(folder / "reports"),
        CRM_SCHEDULER_LOCK=str(folder / "scheduler.lock"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def flask(args: list[str], env: dict, timeout: float = 300) -> str:
    """Run one `flask --app wsgi ...` command; its output, or AssertionError with the output on failure."""
    done = subprocess.run(
        [*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        command = " ".join(args)
        raise AssertionError(f"flask {command} 失败（{done.returncode}）：\n{done.stdout}\n{done.stderr}")
    return done.stdout


def spawn(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    """Start a long-running child with its output in `log`, in its own process group."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def gunicorn(port: int, workers: int, env: dict, log: Path, threads: int = 1) -> subprocess.Popen:
    """`gunicorn -w N -b 127.0.0.1:PORT wsgi:app` (sync workers, as documented for production)."""
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    if threads > 1:
        cmd += ["--threads", str(threads)]
    cmd += ["--graceful-timeout", "20", "--timeout", "120", "wsgi:app"]
    return spawn(cmd, env, log)


def scheduler(env: dict, log: Path) -> subprocess.Popen:
    """The one `flask --app wsgi crm scheduler` process."""
    return spawn([*FLASK, "crm", "scheduler"], env, log)


def wait_until_up(base: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Wait until the server answers /login with 200; fail early (with its log) if it died."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"服务进程已退出（{proc.returncode}）：\n{tail(log)}")
        try:
            with urlopen(base + "/login", timeout=5) as resp:
                if resp.status == 200:
                    return
        except (URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"服务在 {timeout} 秒内没有启动：\n{tail(log)}")


def children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (gunicorn's workers), read from /proc."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def stop(proc: subprocess.Popen | None, timeout: float = 30) -> int | None:
    """SIGTERM, wait up to `timeout` seconds, then SIGKILL the process group; the exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    return proc.returncode


def tail(log: Path, lines: int = 40) -> str:
    """The end of a child's log, for failure messages."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "（无日志）"
