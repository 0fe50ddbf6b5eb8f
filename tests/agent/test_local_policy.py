"""The agent's local policy can only tighten what the server sends."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conexor.sandbox import Policy

_names = st.lists(st.sampled_from(["a", "b", "c", "s.t"]), unique=True, max_size=4)
_policies = st.builds(
    Policy,
    allowed_tables=st.none() | _names,
    denied_columns=st.lists(st.sampled_from(["a.x", "b.y", "s.t.z"]), unique=True, max_size=3),
    extra_functions=st.lists(st.sampled_from(["st_distance", "st_area"]), unique=True, max_size=2),
    max_rows=st.integers(1, 10_000),
    timeout_s=st.floats(0.5, 300),
)


@given(server=_policies, local=_policies)
def test_never_looser_than_either(server: Policy, local: Policy) -> None:
    combined = server.tightened_by(local)
    assert combined.max_rows == min(server.max_rows, local.max_rows)
    assert combined.timeout_s <= server.timeout_s and combined.timeout_s <= local.timeout_s
    assert set(server.denied_columns) | set(local.denied_columns) == set(combined.denied_columns)
    assert set(combined.extra_functions) <= set(server.extra_functions)
    for allowed in (server.allowed_tables, local.allowed_tables):
        if allowed is not None:
            assert combined.allowed_tables is not None
            assert set(combined.allowed_tables) <= set(allowed)


def test_example() -> None:
    server = Policy(allowed_tables=("a", "b"), max_rows=500, extra_functions=("st_area",))
    local = Policy(allowed_tables=("b", "c"), denied_columns=("b.secret",), max_rows=5000)
    combined = server.tightened_by(local)
    assert combined.allowed_tables == ("b",)
    assert combined.denied_columns == ("b.secret",)
    assert combined.max_rows == 500
    assert combined.extra_functions == ("st_area",)  # the local file lists none: kept
