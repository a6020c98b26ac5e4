"""A throwaway PostgreSQL + PostGIS server on loopback in a temporary folder (tests, benchmark).

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` system
user (created by the Debian package) and the commands run through ``runuser``; as any other user
they run directly.  The server listens on 127.0.0.1 only, on a free port, with ``trust``
authentication for the superuser ``gis``, and is stopped (``pg_ctl stop -m immediate``) and its
folder deleted afterwards.  ``scripts/sysdeps.sh`` installs ``postgresql`` and
``postgresql-postgis`` when missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "gis"


def pg_bindir() -> Path:
    """The folder of ``initdb`` / ``pg_ctl`` (Debian keeps them in /usr/lib/postgresql/N/bin)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    found = shutil.which("initdb")
    if candidates:
        return Path(candidates[0]).parent
    if found:
        return Path(found).parent
    msg = (
        "PostgreSQL is not installed (no initdb); run `make test` (scripts/sysdeps.sh installs "
        "postgresql and postgresql-postgis) or apt-get install them"
    )
    raise RuntimeError(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], *, as_postgres: bool) -> None:
    cmd = ["runuser", "-u", "postgres", "--", *args] if as_postgres else args
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        msg = f"{' '.join(args[:2])} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}"
        raise RuntimeError(msg)


@contextmanager
def temporary_postgres() -> Iterator[str]:
    """Start a server, yield its URL (``postgresql://gis@127.0.0.1:PORT/gis``), stop it."""
    bindir = pg_bindir()
    as_postgres = os.geteuid() == 0
    tmp = Path(tempfile.mkdtemp(prefix="gis-pg-"))
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    if as_postgres:
        shutil.chown(tmp, "postgres")
        shutil.chown(sock, "postgres")
        tmp.chmod(0o700)
    port = _free_port()
    started = False
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-N",
            ],
            as_postgres=as_postgres,
        )
        opts = f"-h 127.0.0.1 -p {port} -k {sock} -F -c fsync=off -c full_page_writes=off"
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(tmp / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            as_postgres=as_postgres,
        )
        started = True
        yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    finally:
        if started:
            _run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                as_postgres=as_postgres,
            )
        shutil.rmtree(tmp, ignore_errors=True)
