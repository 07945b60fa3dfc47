"""A throwaway PostgreSQL server for the load test (as scripts/test.sh does for the suite): initdb in a
temporary folder, started on a free port on 127.0.0.1, stopped and removed afterwards."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from glob import glob
from pathlib import Path

from bench.serve import free_port


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server binaries, or None."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


@contextmanager
def throwaway_postgres(max_connections: int = 100) -> Iterator[str]:
    """Yield the URL of the `postgres` database of a fresh server (durable settings, as in production)."""
    pgbin = postgres_bin()
    if pgbin is None:
        raise RuntimeError("未安装 PostgreSQL（apt-get install postgresql）")
    data = tempfile.mkdtemp(prefix="crm-load-pg.")
    as_pg: list[str] = []
    if os.getuid() == 0:  # initdb refuses to run as root
        shutil.chown(data, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    subprocess.run(
        [
            *as_pg,
            str(pgbin / "initdb"),
            "-D",
            data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        **quiet,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c max_connections={max_connections}"
    ctl = [*as_pg, str(pgbin / "pg_ctl"), "-D", data]
    subprocess.run([*ctl, "-l", f"{data}/server.log", "-w", "-o", options, "start"], **quiet)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*ctl, "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)
