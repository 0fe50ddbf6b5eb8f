"""The side-by-side bench's aggregation and rendering, on a trimmed harness result.

The fixture is one harness ``results.json`` (direct, conexor and the four peers,
W1-W5). Runs are derived from it by scaling latencies, so each test states
exactly which figures differ between runs. Nothing here starts a server.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bench import side_by_side as sbs

FIXTURE = Path(__file__).parent / "fixtures" / "results.json"


@pytest.fixture
def doc() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def row(doc: dict[str, Any], target: str, workload: str) -> dict[str, Any]:
    return sbs.rows_of(doc)[(target, workload)]


def scaled(doc: dict[str, Any], **factors: float) -> dict[str, Any]:
    """A copy of ``doc`` with the latencies of each named target multiplied by its factor."""
    out = copy.deepcopy(doc)
    for r in out["results"]:
        f = factors.get(r["target"].replace("-", "_"))
        if f is not None:
            for key in ("p50_ms", "p95_ms", "p99_ms"):
                r[key] = r[key] * f if r[key] is not None else None
    return out


def without(doc: dict[str, Any], *targets: str, error: str | None = None) -> dict[str, Any]:
    """A copy of ``doc`` where ``targets`` produced no rows (and, with ``error``, failed)."""
    out = copy.deepcopy(doc)
    out["results"] = [r for r in out["results"] if r["target"] not in targets]
    for t in targets:
        if error:
            out["targets"][t] = {"error": error}
        else:
            out["targets"].pop(t)
    return out


def raw_of(*configs: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    meta = {
        "started_at": "2026-11-29 12:00 UTC",
        "cpus": 2,
        "loadavg_before": [1.0, 0.9, 0.8],
        "loadavg_after": [2.5, 1.5, 1.0],
        "scale": 0.1,
        "runs": len(configs[0][1]),
        "configs": [name for name, _ in configs],
        "harness_args": {"calls": 200, "w5_clients": 10, "w5_seconds": 10.0},
        "conexor_version": "0.1.0",
        "postgres": "PostgreSQL 15",
    }
    return {
        "meta": meta,
        "configs": {
            name: {"runs": [{"harness": d, "cpu": None} for d in docs], "error": None}
            for name, docs in configs
        },
    }


def summary_row(summary: sbs.ConfigSummary, workload: str) -> sbs.WorkloadRow:
    return next(r for r in summary.rows if r.workload == workload)


def test_medians_over_three_runs_and_ratios_within_each_run(doc: dict[str, Any]) -> None:
    runs = [
        scaled(doc, conexor=1.0),
        scaled(doc, conexor=3.0),
        scaled(doc, conexor=2.0, direct=4.0),
    ]
    (summary,) = sbs.aggregate(raw_of(("cloud-sqlite", runs)))
    w2 = summary_row(summary, "W2")
    c, d = row(doc, "conexor", "W2")["p50_ms"], row(doc, "direct", "W2")["p50_ms"]
    assert w2.runs_used == 3
    assert w2.conexor_p50 == pytest.approx(2 * c)
    assert w2.conexor_p95 == pytest.approx(2 * row(doc, "conexor", "W2")["p95_ms"])
    assert w2.direct_p50 == pytest.approx(d)
    # per run: c/d, 3c/d, 2c/4d -> median c/d, not the ratio of the medians (2c/d)
    assert w2.ratio_direct == pytest.approx(c / d)


def test_best_peer_is_chosen_per_transport(doc: dict[str, Any]) -> None:
    http = sbs.best_peer(doc, "W2", "HTTP")
    stdio = sbs.best_peer(doc, "W2", "stdio")
    assert http is not None and http.name == "toolbox"
    assert stdio is not None and stdio.name == "server-postgres"
    assert http.ratio_vs_direct == pytest.approx(
        row(doc, "toolbox", "W2")["p50_ms"] / row(doc, "direct", "W2")["p50_ms"]
    )

    # dbhub over stdio, faster than every other stdio peer: it moves to the stdio column
    moved = copy.deepcopy(doc)
    moved["targets"]["dbhub"]["transport"] = "stdio"
    row(moved, "dbhub", "W2")["p50_ms"] = 0.2
    assert sbs.best_peer(moved, "W2", "stdio").name == "dbhub"  # type: ignore[union-attr]
    assert sbs.best_peer(moved, "W2", "HTTP").name == "toolbox"  # type: ignore[union-attr]


def test_conexor_is_never_its_own_peer(doc: dict[str, Any]) -> None:
    fast = copy.deepcopy(doc)
    row(fast, "conexor", "W2")["p50_ms"] = 0.001
    assert sbs.best_peer(fast, "W2", "HTTP").name == "toolbox"  # type: ignore[union-attr]


def test_ratio_to_best_peer_is_taken_in_the_same_run(doc: dict[str, Any]) -> None:
    # toolbox stays the fastest HTTP peer in every run (x1.2 is still below dbhub)
    runs = [scaled(doc), scaled(doc, conexor=2.0, toolbox=1.2), scaled(doc, conexor=4.0)]
    (summary,) = sbs.aggregate(raw_of(("cloud-sqlite", runs)))
    w2 = summary_row(summary, "W2")
    c, t = row(doc, "conexor", "W2")["p50_ms"], row(doc, "toolbox", "W2")["p50_ms"]
    assert w2.best_http is not None and w2.best_http.names == ("toolbox",)
    assert w2.best_http.p50_ms == pytest.approx(t)  # median of t, 1.2t, t
    # median of c/t, 2c/1.2t, 4c/t; the ratio of the medians would be 2c/t
    assert w2.ratio_http == pytest.approx(2 * c / (1.2 * t))


def test_the_best_peer_may_differ_between_runs(doc: dict[str, Any]) -> None:
    runs = [scaled(doc), scaled(doc, toolbox=3.0), scaled(doc)]
    (summary,) = sbs.aggregate(raw_of(("cloud-sqlite", runs)))
    w2 = summary_row(summary, "W2")
    assert w2.best_http is not None and w2.best_http.names == ("toolbox", "dbhub")
    assert w2.best_http.label == "toolbox/dbhub"


def test_missing_peers_are_skipped_and_reported(doc: dict[str, Any]) -> None:
    no_toolbox = without(doc, "toolbox", error="not installed: toolbox binary not found")
    pick = sbs.best_peer(no_toolbox, "W2", "HTTP")
    assert pick is not None and pick.name == "dbhub"
    assert sbs.missing_peers(no_toolbox) == {"toolbox": "not installed: toolbox binary not found"}

    only_direct = without(doc, "dbhub", "toolbox", "server-postgres", "postgres-mcp")
    assert sbs.best_peer(only_direct, "W2", "HTTP") is None
    assert sbs.best_peer(only_direct, "W2", "stdio") is None

    text = sbs.render(raw_of(("cloud-sqlite", [no_toolbox])))
    assert "not measured: toolbox (not installed: toolbox binary not found)" in text
    assert "(dbhub)" in text


def test_no_peer_at_all_renders_dashes(doc: dict[str, Any]) -> None:
    only_direct = without(doc, "dbhub", "toolbox", "server-postgres", "postgres-mcp")
    (summary,) = sbs.aggregate(raw_of(("cloud-sqlite", [only_direct])))
    w2 = summary_row(summary, "W2")
    assert (w2.best_http, w2.ratio_http, w2.best_stdio, w2.ratio_stdio) == (None, None, None, None)
    line = next(x for x in sbs.render_config(summary).splitlines() if x.startswith("| W2"))
    assert "| - | - | - | - |" in line


def test_an_invalid_run_is_left_out_and_noted(doc: dict[str, Any]) -> None:
    broken = scaled(doc, conexor=100.0)
    r = row(broken, "conexor", "W2")
    r.update(invalid="customer 42 not in answer", p50_ms=None, p95_ms=None)
    runs = [scaled(doc, conexor=1.0), broken, scaled(doc, conexor=3.0)]
    (summary,) = sbs.aggregate(raw_of(("cloud-sqlite", runs)))
    w2 = summary_row(summary, "W2")
    assert w2.runs_used == 2
    assert w2.conexor_p50 == pytest.approx(2 * row(doc, "conexor", "W2")["p50_ms"])
    assert w2.notes == ["run 2: customer 42 not in answer"]
    assert "- W2 run 2: customer 42 not in answer" in sbs.render_config(summary)


def test_failed_calls_are_counted_and_disqualify_a_peer(doc: dict[str, Any]) -> None:
    failing = copy.deepcopy(doc)
    row(failing, "conexor", "W2")["errors"] = 3
    row(failing, "toolbox", "W2")["errors"] = 1  # toolbox is the fastest HTTP peer otherwise
    (summary,) = sbs.aggregate(raw_of(("cloud-sqlite", [failing, doc])))
    w2 = summary_row(summary, "W2")
    assert w2.errors == 3
    # one win each: a tie, listed by name
    assert w2.best_http is not None and w2.best_http.names == ("dbhub", "toolbox")
    assert sbs.best_peer(failing, "W2", "HTTP").name == "dbhub"  # type: ignore[union-attr]


def test_a_run_where_conexor_failed_to_start(doc: dict[str, Any]) -> None:
    failed = without(doc, "conexor", error="HTTPStatusError: 401 Unauthorized")
    (summary,) = sbs.aggregate(raw_of(("cloud-sqlite", [doc, failed])))
    assert summary_row(summary, "W2").runs_used == 1
    assert summary.errors == ["run 2: conexor HTTPStatusError: 401 Unauthorized"]


def test_configs_without_peers_compare_through_direct(doc: dict[str, Any]) -> None:
    no_peers = without(doc, "dbhub", "toolbox", "server-postgres", "postgres-mcp")
    slower = scaled(no_peers, conexor=2.0, direct=2.0)  # a slower run: the ratio is unchanged
    first, second = sbs.aggregate(raw_of(("cloud-sqlite", [doc]), ("agent-sqlite", [slower])))
    assert first.peers_from is None
    assert second.peers_from == "cloud-sqlite"
    w2a, w2b = summary_row(first, "W2"), summary_row(second, "W2")
    assert w2b.best_http == w2a.best_http
    assert w2b.ratio_http == pytest.approx(w2a.ratio_http)
    assert "peers measured in the cloud-sqlite runs" in sbs.render_config(second)


def test_cpu_per_call_counts_warm_up_calls(doc: dict[str, Any]) -> None:
    cpu_doc = copy.deepcopy(doc)
    cpu_doc["results"] = [row(doc, "conexor", "W5")]
    cpu_doc["meta"]["args"].update(warmup=10, w5_clients=10, w5_repeats=1)
    calls = row(doc, "conexor", "W5")["calls"]
    cpu = {"server_cpu_s": 2.0, "agent_cpu_s": 0.5, "harness": cpu_doc}
    # 10 clients x 5 warm-up lookups + 1 write probe
    assert sbs.setup_calls(cpu_doc) == 51
    assert sbs.cpu_ms_per_call(cpu) == pytest.approx(2500 / (calls + 51))
    assert sbs.agent_share(cpu) == pytest.approx(0.2)
    assert sbs.cpu_ms_per_call(None) is None
    assert sbs.cpu_ms_per_call({"server_cpu_s": 1.0, "harness": without(doc, "conexor")}) is None


def test_w5_table_lists_conexor_per_config_then_the_peers(doc: dict[str, Any]) -> None:
    raw = raw_of(("cloud-sqlite", [doc]))
    cpu_doc = copy.deepcopy(doc)
    cpu_doc["results"] = [row(doc, "conexor", "W5")]
    raw["configs"]["cloud-sqlite"]["runs"][0]["cpu"] = {
        "server_cpu_s": 3.0,
        "agent_cpu_s": None,
        "harness": cpu_doc,
    }
    rows = sbs.w5_rows(raw, sbs.aggregate(raw))
    assert [r.label for r in rows] == [
        "conexor, cloud-sqlite",
        "direct",
        "dbhub",
        "server-postgres",
        "postgres-mcp",
        "toolbox",
    ]
    assert rows[0].cpu_ms_per_call is not None
    toolbox = rows[-1]
    assert toolbox.cpu_ms_per_call == row(doc, "toolbox", "W5")["peer_cpu_ms_per_call"]
    assert toolbox.calls_per_s == row(doc, "toolbox", "W5")["calls_per_s"]


def test_render_has_a_header_and_a_table_per_config(doc: dict[str, Any]) -> None:
    no_peers = without(doc, "dbhub", "toolbox", "server-postgres", "postgres-mcp")
    text = sbs.render(raw_of(("cloud-sqlite", [doc] * 3), ("agent-sqlite", [no_peers] * 3)))
    header = text.splitlines()[0]
    assert header.startswith("2026-11-29 12:00 UTC; 2 CPUs, load average 1.00/0.90/0.80 before")
    assert "scale 0.1; 3 run(s) per configuration" in header
    assert "**cloud-sqlite** (3 runs)" in text
    assert "**agent-sqlite** (3 runs)" in text
    assert text.count("| W1 list tables |") == 2
    assert "| W5 target | transport |" in text


def test_replace_between_markers_keeps_the_rest() -> None:
    text = f"# Title\n\nbefore\n{sbs.BEGIN_MARK}\nold table\n{sbs.END_MARK}\nafter\n"
    new = sbs.replace_between_markers(text, "| new |\n")
    assert new == f"# Title\n\nbefore\n{sbs.BEGIN_MARK}\n| new |\n{sbs.END_MARK}\nafter\n"
    assert sbs.replace_between_markers(new, "| new |") == new
    with pytest.raises(ValueError, match="markers"):
        sbs.replace_between_markers("no markers here", "x")
