"""A ``pg_dump`` of a PostgreSQL store, streamed into the scanner.

The dump is the store as a backup would hold it: every table, every row,
``bytea`` as hex. The password goes to ``pg_dump`` through ``PGPASSWORD``,
never on its command line, and the dump is never written to disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from conexor.selfcheck.errors import SelfcheckError
from conexor.selfcheck.scan import CHUNK_BYTES, Haystack

__all__ = ["pg_dump_command", "pg_dump_haystack"]


def pg_dump_command(store_url: str) -> tuple[list[str], dict[str, str]]:
    """``pg_dump`` arguments and extra environment for ``store_url``; no secret in the arguments."""
    try:
        url = make_url(store_url)
    except ArgumentError:
        raise SelfcheckError("the store URL is not a valid database URL") from None
    if url.get_backend_name() != "postgresql":
        raise SelfcheckError("--pg-dump needs a PostgreSQL store URL")
    program = shutil.which("pg_dump")
    if program is None:
        raise SelfcheckError("pg_dump is not installed")
    args = [program, "--no-owner", "--no-privileges", "--format=plain"]
    for flag, value in (
        ("--host", url.host),
        ("--port", url.port),
        ("--username", url.username),
        ("--dbname", url.database),
    ):
        if value is not None:
            args += [flag, str(value)]
    extra = {"PGPASSWORD": url.password} if isinstance(url.password, str) else {}
    return args, extra


def _chunks(args: list[str], extra: dict[str, str]) -> Iterator[bytes]:
    env = {**os.environ, **extra, "PGCONNECT_TIMEOUT": "10"}
    with subprocess.Popen(  # noqa: S603 - fixed program, arguments from a parsed URL
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    ) as proc:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(CHUNK_BYTES):
            yield chunk
    if proc.returncode != 0:
        raise SelfcheckError(f"pg_dump failed with exit status {proc.returncode}")


def pg_dump_haystack(store_url: str) -> Haystack:
    """The dump of the store as a haystack; pg_dump runs when the haystack is searched."""
    args, extra = pg_dump_command(store_url)
    return Haystack("pg_dump of the store", "pg_dump", _chunks(args, extra))
