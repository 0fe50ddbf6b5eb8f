"""docs/threat-model.md cites tests that exist, and its data-flow picture is there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "threat-model.md").read_text()


def test_every_cited_test_file_and_function_exists() -> None:
    cited = re.findall(r"`(tests/[\w/]+\.py)`(?: \(([^)]*)\))?", DOC)
    assert len(cited) >= 30
    missing = []
    for path, names in cited:
        source = ROOT / path
        if not source.is_file():
            missing.append(path)
            continue
        text = source.read_text()
        for name in re.findall(r"`(test_\w+)`", names):
            if not re.search(rf"^(async )?def {name}\(", text, re.M):
                missing.append(f"{path}::{name}")
    assert missing == []


def test_the_data_flow_picture_and_its_source_are_there() -> None:
    assert "![Data flows and trust boundaries](images/dataflow.svg)" in DOC
    svg = (ROOT / "docs" / "images" / "dataflow.svg").read_text()
    dot = (ROOT / "docs" / "dataflow.dot").read_text()
    for boundary in ("TB1", "TB2", "TB3", "TB4", "TB5", "TB6", "TB7"):
        assert f"### {boundary} " in DOC
        assert boundary in dot and boundary in svg
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
