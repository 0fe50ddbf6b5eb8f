"""The exposure check: run every flow with canary secrets, then search everything for them.

What is searched:

- every HTTP response the check received (status line, headers, body);
- the audit trail exported in every format, by the server and by the CLI;
- with ``data_dir``: every file in the server's data directory (the SQLite
  store with its ``-wal``, ``-journal`` and ``-shm`` files);
- with ``log_file``: the server's log;
- with ``pg_dump_url``: a ``pg_dump`` of a PostgreSQL store.

Secret canaries must appear nowhere, except an API key or agent token in the
one reply that issued it. The requested rows are a control: they must appear
in query responses (proof that the search reads what the server sent) and
nowhere else, since rows are never stored or logged.

The same function serves ``conexor selfcheck exposure`` and the test suite.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from conexor.selfcheck import flows
from conexor.selfcheck.errors import SelfcheckError
from conexor.selfcheck.flows import RunState, Step
from conexor.selfcheck.pgdump import pg_dump_haystack
from conexor.selfcheck.recorder import Recorder
from conexor.selfcheck.scan import (
    Haystack,
    Hit,
    Scanner,
    file_haystack,
    store_haystacks,
    text_haystack,
)
from conexor.selfcheck.session import ServerSession
from conexor.selfcheck.targets import (
    Target,
    operator_target,
    sqlite_target,
    unreachable_url,
    wrong_password_url,
)

__all__ = ["ExposureOptions", "ExposureReport", "run_exposure_check"]

_RESPONSES = "HTTP response"


@dataclass(frozen=True)
class ExposureOptions:
    """Where the server is, which cloud database to use, and what else to search."""

    server: str
    cloud_url: str | None = field(default=None, repr=False)
    """The operator's database for the cloud-mode flows (``CONEXOR_DB_URL``); read only."""
    sqlite_dir: Path | None = None
    """Otherwise: a directory the server may open SQLite files in, for a throwaway database."""
    data_dir: Path | None = None
    log_file: Path | None = None
    pg_dump_url: str | None = field(default=None, repr=False)
    work_dir: Path | None = None
    """Where the agent's throwaway database goes (default: a new temporary directory)."""


@dataclass(frozen=True)
class Scanned:
    """How many haystacks of a kind were searched, and how many bytes."""

    kind: str
    items: int
    size: int
    hits: int


@dataclass
class ExposureReport:
    """Steps run, what was searched, the leaks found, and what was left on the server."""

    steps: list[Step]
    scanned: list[Scanned]
    hits: list[Hit]
    canaries: list[str]
    left: list[str]

    @property
    def ok(self) -> bool:
        """No leak and no failed step (the controls are steps too)."""
        return not self.hits and all(s.status != "failed" for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-safe data (labels only, never a canary's value)."""
        return {
            "ok": self.ok,
            "steps": [asdict(s) for s in self.steps],
            "scanned": [asdict(s) for s in self.scanned],
            "hits": [asdict(h) for h in self.hits],
            "canaries": self.canaries,
            "left": self.left,
        }


def _cloud_target(options: ExposureOptions, made: list[Path]) -> Target | None:
    """The operator's database, else a throwaway SQLite file where the server may open it."""
    if options.cloud_url:
        return operator_target(options.cloud_url)
    if options.sqlite_dir is not None:
        folder = Path(tempfile.mkdtemp(prefix="selfcheck-", dir=options.sqlite_dir))
        made.append(folder)
        return sqlite_target(folder, "cloud")
    return None


def _run_flows(state: RunState, options: ExposureOptions, made: list[Path]) -> None:
    """Run every flow in order; local directories to delete afterwards go to ``made``."""
    if not state.step("sign up", lambda: flows.signup(state)):
        return
    state.step("unknown API key refused", lambda: flows.unknown_key(state))

    cloud: Target | None = None
    try:
        cloud = _cloud_target(options, made)
    except SelfcheckError as exc:
        state.steps.append(Step("cloud database", "failed", exc.public))
    except OSError:
        state.steps.append(Step("cloud database", "failed", "could not create it in --sqlite-dir"))
    if cloud is None:
        state.skip("cloud database", "set CONEXOR_DB_URL or --sqlite-dir to include cloud mode")
    elif state.step("cloud database added and tested", lambda: flows.cloud_database(state, cloud)):
        for note in cloud.notes:
            state.skip("cloud database password", note)
        state.step("cloud queries", lambda: flows.cloud_queries(state, cloud))

    wrong = wrong_password_url(cloud) if cloud is not None else None
    if wrong is None:
        state.skip("wrong password", "needs a PostgreSQL or MySQL database in CONEXOR_DB_URL")
    else:
        url, canary = wrong
        assert cloud is not None
        state.step(
            "wrong password",
            lambda: flows.broken_database(state, "selfcheck_wrongpw", url, cloud.dialect, canary),
        )
    for dialect in ("postgresql", "mysql"):
        url, canary = unreachable_url(dialect)
        flow = partial(
            flows.broken_database, state, f"selfcheck_down_{dialect}", url, dialect, canary
        )
        state.step(f"unreachable {dialect} host", flow)

    agent_dir = Path(tempfile.mkdtemp(prefix="selfcheck-agent-", dir=state.work_dir))
    made.append(agent_dir)
    agent = sqlite_target(agent_dir, "agent")
    if state.step(
        "agent database and in-process agent", lambda: flows.agent_database(state, agent)
    ):
        state.step("agent queries", lambda: flows.agent_queries(state))
        state.step("agent token rotation", lambda: flows.agent_token_rotation(state))
    state.step("API key rotation and revocation", lambda: flows.key_rotation(state))
    state.step("audit export, every format", lambda: flows.audit_exports(state))


def _haystacks(state: RunState, options: ExposureOptions) -> list[Haystack]:
    found = state.session.recorder.haystacks()
    found += [text_haystack(name, "audit export", text) for name, text in state.exports.items()]
    if options.data_dir is not None:
        if not options.data_dir.is_dir():
            state.steps.append(Step("search the data directory", "failed", "no such directory"))
        elif not (files := store_haystacks(options.data_dir)):
            state.steps.append(Step("search the data directory", "failed", "it holds no file"))
        else:
            found += files
    if options.log_file is not None:
        if not options.log_file.is_file():
            state.steps.append(Step("search the server log", "failed", "no such file"))
        else:
            found.append(file_haystack(options.log_file, "server log"))
    if options.pg_dump_url:
        try:
            found.append(pg_dump_haystack(options.pg_dump_url))
        except SelfcheckError as exc:
            state.steps.append(Step("search a pg_dump of the store", "failed", exc.public))
    return found


def _controls(state: RunState, hits: list[Hit], kinds: set[str]) -> None:
    """Steps proving the search saw real data: rows in responses, the org id in the store."""
    seen = {(h.canary, h.kind) for h in hits if h.expected}

    def found(label: str, where: set[str]) -> bool:
        return any(c.endswith(label) and k in where for c, k in seen)

    rows = found("requested row", {_RESPONSES})
    state.steps.append(
        Step("control: requested rows seen in query responses", "ok" if rows else "failed")
    )
    store_kinds = kinds & {"store file", "pg_dump"}
    if store_kinds:
        org = found("organisation id", store_kinds)
        state.steps.append(
            Step(
                "control: organisation id found in the store",
                "ok" if org else "failed",
                "" if org else "the store is not where it was searched (PostgreSQL: --pg-dump)",
            )
        )


def run_exposure_check(options: ExposureOptions) -> ExposureReport:
    """Run the flows against ``options.server`` and search everything for the canaries."""
    own_work = options.work_dir is None
    work = Path(tempfile.mkdtemp(prefix="conexor-selfcheck-")) if own_work else options.work_dir
    assert work is not None
    state = RunState(ServerSession(options.server, Recorder()), work)
    made: list[Path] = []
    try:
        _run_flows(state, options, made)
    finally:
        if state.key is not None and not state.step("clean up", lambda: flows.clean_up(state)):
            state.left.append(
                f"databases {sorted(state.databases)} and the organisation's keys may remain"
            )
        state.stack.close()
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    if state.org:
        state.left.append(
            f"organisation {state.org['name']!r} ({state.org['id']}): its user, revoked keys "
            "and audit records stay, since the audit trail is append-only"
        )
    scanner = Scanner(state.canaries)
    for haystack in _haystacks(state, options):
        try:
            scanner.search(haystack)
        except SelfcheckError as exc:
            state.steps.append(Step(f"search {haystack.name}", "failed", exc.public))
    leaks = [h for h in scanner.hits if not h.expected]
    _controls(state, scanner.hits, set(scanner.counts))
    scanned = [
        Scanned(kind, count, scanner.searched[kind], sum(h.kind == kind for h in leaks))
        for kind, count in scanner.counts.items()
    ]
    return ExposureReport(
        steps=state.steps,
        scanned=scanned,
        hits=leaks,
        canaries=sorted({c.label for c in state.canaries}),
        left=state.left,
    )
