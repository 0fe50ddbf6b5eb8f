"""OCSF events against the published OCSF schema, not one written by us.

``ocsf-json-schema`` bundles the OCSF schema exports as published by
schema.ocsf.io (``/<version>/export/schema``, Apache-2.0) and turns one class
of them into a JSON Schema (draft 2020-12, with OCSF's ``at_least_one``
constraints and every referenced object embedded). The events must validate
against the Datastore Activity class of the exact version they claim
(``metadata.version``), so a mapping mistake in a nested object, which a
hand-written schema can miss, fails here.
"""

from __future__ import annotations

import dataclasses
import io
import json
from functools import cache
from typing import Any

import jsonschema
import pytest
from audit_factory import make_trail
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema  # type: ignore[import-untyped]

from conexor.audit import ocsf_event, write_ocsf
from conexor.audit.ocsf import CLASS_UID, OCSF_VERSION


@cache
def _validator() -> jsonschema.protocols.Validator:
    published = get_ocsf_schema(OCSF_VERSION)
    assert published["version"] == OCSF_VERSION
    assert published["classes"]["datastore_activity"]["uid"] == CLASS_UID
    schema: dict[str, Any] = OcsfJsonSchemaEmbedded(published).get_class_schema(
        "datastore_activity"
    )
    assert (
        schema["$id"] == f"https://schema.ocsf.io/schema/{OCSF_VERSION}/classes/datastore_activity"
    )
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)  # type: ignore[no-any-return]


def _errors(event: dict[str, Any]) -> list[str]:
    return sorted(f"{list(e.path)}: {e.message}" for e in _validator().iter_errors(event))


def test_every_exported_event_validates_against_the_published_class() -> None:
    trail = make_trail(10)
    # describe_table is the one Read activity; the event mapping ignores the hashes.
    trail.append(dataclasses.replace(trail[1], tool="describe_table"))
    out = io.StringIO()
    write_ocsf(trail, out)
    events = [json.loads(line) for line in out.getvalue().split("\n")[:-1]]
    assert len(events) == 11
    # The trail covers every activity (Query, List, Read) and every outcome.
    assert {e["activity_id"] for e in events} == {1, 4, 8}
    assert {e["status_id"] for e in events} == {1, 2}
    for event in events:
        assert event["metadata"]["version"] == OCSF_VERSION
        assert _errors(event) == []


def test_query_activity_with_optional_fields_missing_still_validates() -> None:
    """A query from a client that gave no name, no model and no key id."""
    rec = make_trail(3)[2]
    bare = dataclasses.replace(rec, client_name=None, client_version=None, model=None)
    bare = dataclasses.replace(bare, api_key_id=None)
    event = ocsf_event(bare)
    assert (event["class_uid"], event["activity_id"], event["type_uid"]) == (6005, 4, 600504)
    assert _errors(event) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("actor"),
        lambda e: e.pop("src_endpoint"),
        lambda e: e.pop("database"),  # at_least_one of database, databucket, table
        lambda e: e["database"].pop("type_id"),
        lambda e: e.update(activity_id="Query"),
        lambda e: e.update(time="2026-01-01"),
        lambda e: e["metadata"].pop("product"),
        lambda e: e["metadata"].pop("version"),
        lambda e: e["query_info"].update(query_string=42),
    ],
)
def test_the_published_schema_refuses_broken_events(mutate: Any) -> None:
    """The schema is strict enough that passing it means something."""
    event = json.loads(json.dumps(ocsf_event(make_trail(3)[2])))
    assert _errors(event) == []
    mutate(event)
    assert _errors(event) != []
