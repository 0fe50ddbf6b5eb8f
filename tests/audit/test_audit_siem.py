"""SIEM exports: CEF escaping, RFC 5424 syslog, OCSF against the schema, and filters."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from audit_factory import T0, make_trail

from conexor.audit import (
    canonical_json,
    filter_records,
    format_cef,
    format_syslog,
    ocsf_event,
    octet_frame,
    read_jsonl,
    verify,
    write_cef,
    write_ocsf,
    write_syslog,
)
from conexor.audit.ocsf import CLASS_UID

OCSF_DIR = Path(__file__).parents[1] / "vectors" / "audit" / "ocsf"


def _ocsf(name: str) -> dict[str, Any]:
    return json.loads((OCSF_DIR / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


SCHEMA = _ocsf("datastore_activity.schema.json")


# ---- CEF ----


def _cef_unescape_ext(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), value)


def _cef_split(line: str) -> tuple[list[str], dict[str, str]]:
    """A small CEF reader: header on unescaped pipes, extension on unescaped ``key=``."""
    fields, cur, i = [], "", 0
    while len(fields) < 7:
        ch = line[i]
        if ch == "\\":
            cur += line[i + 1]
            i += 2
            continue
        if ch == "|":
            fields.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    ext = line[i:]
    keys = list(re.finditer(r"(?:^| )([A-Za-z0-9]+)=", ext))
    out = {}
    for n, k in enumerate(keys):
        end = keys[n + 1].start() if n + 1 < len(keys) else len(ext)
        out[k.group(1)] = _cef_unescape_ext(ext[k.end() : end])
    return fields, out


def test_cef_line() -> None:
    rec = make_trail(3)[2]
    line = format_cef(rec, product_version="0.1.0")
    assert line.startswith("CEF:0|conexor|conexor|0.1.0|query|query ok|3|rt=")
    header, ext = _cef_split(line)
    assert header == ["CEF:0", "conexor", "conexor", "0.1.0", "query", "query ok", "3"]
    assert ext["externalId"] == "3"
    assert ext["suser"] == "ana@example.com"
    assert ext["cs5"] == rec.record_hash
    assert ext["cs1Label"] == "org_id"
    assert json.loads(ext["cs4"]) == rec.params
    assert ext["rt"] == str(int(rec.ts.timestamp() * 1000))
    assert "\n" not in line


def test_cef_escaping() -> None:
    nasty = "a|b\\c=d\ne\rf"
    rec = dataclasses.replace(make_trail(1)[0], tool=nasty, user=nasty, params={"sql": nasty})
    line = format_cef(rec)
    assert "\n" not in line
    assert "\r" not in line
    assert "a\\|b\\\\c=d e f" in line  # header: pipe and backslash escaped, breaks removed
    assert "suser=a|b\\\\c\\=d\\ne\\rf" in line  # extension: \\ = and breaks escaped
    header, ext = _cef_split(line)
    assert header[4] == "a|b\\c=d e f"
    assert ext["suser"] == nasty
    assert json.loads(ext["cs4"]) == {"sql": nasty}


def test_cef_streams() -> None:
    out = io.StringIO()
    write_cef(iter(make_trail(5)), out)
    assert out.getvalue().count("\n") == 5


# ---- syslog ----

_RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) (?P<msgid>\S+) "
    r"\[(?P<sd>(?:[^\]\\]|\\.)*)\] (?P<msg>.*)"
)


def _sd_params(sd: str) -> tuple[str, dict[str, str]]:
    sd_id, _, rest = sd.partition(" ")
    params = {
        m.group(1): re.sub(r"\\(.)", r"\1", m.group(2))
        for m in re.finditer(r'([^= ]+)="((?:[^"\\]|\\.)*)"', rest)
    }
    return sd_id, params


def test_syslog_message() -> None:
    trail = make_trail(4)
    msg = format_syslog(trail[3], hostname="gw.example.com")
    m = _RFC5424.fullmatch(msg)
    assert m is not None
    assert int(m["pri"]) == 13 * 8 + 5  # log audit, notice for a rejected call
    assert m["ts"] == "2026-11-29T09:12:23.253702Z"
    assert (m["host"], m["app"], m["proc"], m["msgid"]) == (
        "gw.example.com",
        "conexor",
        "-",
        "audit",
    )
    sd_id, params = _sd_params(m["sd"])
    assert sd_id == "conexor@32473"
    assert params["seq"] == "4"
    assert params["outcome"] == "rejected"
    assert params["record_hash"] == trail[3].record_hash
    # MSG is the canonical record: the syslog stream is verifiable.
    assert list(read_jsonl([m["msg"]])) == [trail[3]]
    assert int(_RFC5424.fullmatch(format_syslog(trail[0]))["pri"]) == 110  # type: ignore[index]
    failed = make_trail(5)[4]
    assert int(_RFC5424.fullmatch(format_syslog(failed))["pri"]) == 108  # type: ignore[index]


def test_syslog_sd_escaping() -> None:
    nasty = 'say "hi"] \\ ok\nnext'
    rec = dataclasses.replace(make_trail(1)[0], user=nasty, tool="t]x")
    msg = format_syslog(rec)
    assert "\n" not in msg
    assert 'user="say \\"hi\\"\\] \\\\ ok next"' in msg
    m = _RFC5424.fullmatch(msg)
    assert m is not None
    _, params = _sd_params(m["sd"])
    assert params["user"] == nasty.replace("\n", " ")
    assert params["tool"] == "t]x"


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"hostname": "has space"}, "hostname"),
        ({"app_name": "x" * 49}, "app-name"),
        ({"facility": 24}, "facility"),
        ({"sd_id": "bad=id"}, "SD-ID"),
    ],
)
def test_syslog_rejects_bad_header_fields(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        format_syslog(make_trail(1)[0], **kw)


def test_octet_counting_frames() -> None:
    msg = format_syslog(dataclasses.replace(make_trail(1)[0], user="Zoë"))
    framed = octet_frame(msg)
    length, _, rest = framed.partition(b" ")
    assert int(length) == len(rest) == len(msg.encode("utf-8"))
    assert len(msg.encode("utf-8")) > len(msg)  # counted in octets, not characters
    stream = b"".join(octet_frame(format_syslog(r)) for r in make_trail(3))
    messages = []
    while stream:
        n, _, stream = stream.partition(b" ")
        messages.append(stream[: int(n)])
        stream = stream[int(n) :]
    assert len(messages) == 3


def test_syslog_streams() -> None:
    out = io.StringIO()
    write_syslog(iter(make_trail(5)), out, hostname="h")
    lines = out.getvalue().split("\n")[:-1]
    assert len(lines) == 5
    verify(read_jsonl([_RFC5424.fullmatch(x)["msg"] for x in lines]))  # type: ignore[index]


# ---- OCSF ----


def test_ocsf_events_validate_against_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    out = io.StringIO()
    trail = make_trail(10)
    write_ocsf(trail, out)
    lines = out.getvalue().split("\n")[:-1]
    assert len(lines) == 10
    for line, rec in zip(lines, trail, strict=True):
        event = json.loads(line)
        errors = sorted(validator.iter_errors(event), key=str)
        assert errors == [], errors[0].message if errors else ""
        assert event["class_uid"] == CLASS_UID == 6005
        assert event["type_uid"] == 600500 + event["activity_id"]
        assert event["unmapped"]["conexor"] == rec.to_dict()
        assert line == canonical_json(event).decode()


def test_ocsf_query_mapping() -> None:
    rec = make_trail(3)[2]
    event = ocsf_event(rec)
    assert (event["activity_id"], event["activity_name"]) == (4, "Query")
    assert event["type_uid"] == 600504
    assert event["type_name"] == "Datastore Activity: Query"
    assert (event["category_uid"], event["status_id"], event["status"]) == (6, 1, "Success")
    assert event["query_info"] == {"uid": rec.query_hash, "query_string": rec.params["sql"]}
    assert event["actor"]["user"]["email_addr"] == "ana@example.com"  # type: ignore[index]
    assert event["time"] == int(rec.ts.timestamp() * 1000)
    rejected = ocsf_event(make_trail(4)[3])
    assert (rejected["status_id"], rejected["status_code"]) == (2, "sandbox_query_rejected")
    listing = ocsf_event(make_trail(1)[0])
    assert listing["activity_id"] == 8
    assert listing["database"] == {"name": "*", "type_id": 1, "type": "Relational"}


def test_invalid_ocsf_events_are_refused_by_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    good = ocsf_event(make_trail(3)[2])
    for mutate in (
        lambda e: e.pop("actor"),
        lambda e: e.pop("src_endpoint"),
        lambda e: e.pop("database"),
        lambda e: e.update(class_uid=6003),
        lambda e: e.update(activity_id=42),
        lambda e: e.update(time="2026-01-01"),
        lambda e: e.update(extra_field=1),
        lambda e: e["metadata"].pop("product"),
        lambda e: e.update(src_endpoint={"port": 1}),
    ):
        event = json.loads(json.dumps(good))
        mutate(event)
        assert not validator.is_valid(event)


def _attributes(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in definition["attributes"].items() if not k.startswith("$")}


def test_schema_matches_the_vendored_ocsf_definitions() -> None:
    """Our JSON Schema says what the published OCSF class definition says."""
    base = _attributes(_ocsf("base_event.json"))
    cls_def = _ocsf("datastore_activity.json")
    cls = _attributes(cls_def)
    app = _ocsf("application.json")
    categories = _ocsf("categories.json")["attributes"]
    assert cls_def["extends"] == app["name"] == "application"
    assert app["extends"] == "base_event"
    category_uid = categories[app["category"]]["uid"]
    assert SCHEMA["properties"]["category_uid"]["const"] == category_uid == 6
    assert SCHEMA["properties"]["class_uid"]["const"] == category_uid * 1000 + cls_def["uid"]
    merged = {**base, **{k: {**base.get(k, {}), **v} for k, v in cls.items()}}
    required = {k for k, v in merged.items() if v.get("requirement") == "required"}
    assert set(SCHEMA["required"]) == required
    assert set(SCHEMA["properties"]) == set(merged)
    activities = {int(k) for k in base["activity_id"]["enum"]} | {
        int(k) for k in cls["activity_id"]["enum"]
    }
    assert set(SCHEMA["properties"]["activity_id"]["enum"]) == activities
    assert cls["activity_id"]["enum"]["4"]["caption"] == "Query"
    assert set(SCHEMA["properties"]["type_uid"]["enum"]) == {
        SCHEMA["properties"]["class_uid"]["const"] * 100 + a for a in activities
    }
    assert [b["required"][0] for b in SCHEMA["anyOf"]] == cls_def["constraints"]["at_least_one"]
    assert set(SCHEMA["properties"]["type_id"]["enum"]) == {int(k) for k in cls["type_id"]["enum"]}
    metadata = _attributes(_ocsf("metadata.json"))
    meta = SCHEMA["$defs"]["metadata"]
    assert set(meta["required"]) == {
        k for k, v in metadata.items() if v.get("requirement") == "required"
    }
    assert set(meta["properties"]) == set(metadata)
    product = _attributes(_ocsf("product.json"))
    assert SCHEMA["$defs"]["product"]["required"] == [
        k for k, v in product.items() if v.get("requirement") == "required"
    ]
    endpoint = _ocsf("network_endpoint.json")
    assert [b["required"][0] for b in SCHEMA["$defs"]["network_endpoint"]["anyOf"]] == (
        endpoint["constraints"]["at_least_one"]
    )


def test_ocsf_provenance_lists_every_vendored_file() -> None:
    prov = _ocsf("provenance.json")
    listed = {f["file"] for f in prov["files"]}
    on_disk = {p.name for p in OCSF_DIR.glob("*.json")} - {
        "provenance.json",
        "datastore_activity.schema.json",
    }
    assert listed == on_disk


# ---- filters ----


def test_filters() -> None:
    trail = make_trail(10)
    assert list(filter_records(trail)) == trail
    since, until = trail[2].ts, trail[5].ts
    assert [r.seq for r in filter_records(trail, since=since, until=until)] == [3, 4, 5]
    assert [r.seq for r in filter_records(trail, database="shop")] == [
        r.seq for r in trail if r.database == "shop"
    ]
    assert list(filter_records(trail, user="ana@example.com")) == trail
    assert list(filter_records(trail, user="usr_9kP1")) == trail
    assert list(filter_records(trail, user="nobody")) == []
    later = T0 + timedelta(days=1)
    assert list(filter_records(trail, since=later)) == []
    with pytest.raises(ValueError, match="timezone"):
        list(filter_records(trail, since=later.replace(tzinfo=None)))


def test_writers_take_any_iterable_and_stream() -> None:
    """Each writer pulls one record at a time (constant memory for millions of records)."""
    pulled = 0

    def gen() -> Any:
        nonlocal pulled
        for rec in make_trail(6):
            pulled += 1
            yield rec

    class Probe(io.StringIO):
        def write(self, s: str) -> int:
            writes.append(pulled)
            return super().write(s)

    for writer in (write_cef, write_syslog, write_ocsf):
        pulled = 0
        writes: list[int] = []
        writer(gen(), Probe())
        assert writes[:2] == [1, 1]  # the first record is written before the second is read
