"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

The central check is the seed's promise: when a database is added in the
dashboard, only ciphertext leaves the page. Every request the page makes is
intercepted and searched for the connection string and its password; then the
same database is queried from Python through the MCP endpoint with the same
key, proving the browser's envelope is the one the server opens.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import psycopg
import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright

from conexor.server.dashboard import CONTENT_SECURITY_POLICY
from tests.conftest import LiveServer
from tests.integration.cli import call, text_of
from tests.services import unique
from tests.web.browser import chromium_path, off_thread, screenshot_dir

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Traffic:
    """Everything the page sent: URL, headers (Authorization aside) and body of each request."""

    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def leaks(self, *secrets_: str) -> list[str]:
        """Requests whose URL, body or non-Authorization headers contain any of ``secrets_``."""
        needles = set()
        for s in secrets_:
            needles |= {s, urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s)}
        found = []
        for url, headers, body in self.requests:
            others = json.dumps({k: v for k, v in headers.items() if k != "authorization"})
            text = url + "\n" + others + "\n" + body.decode("latin-1")
            found += [f"{url}: {n[:4]}…" for n in needles if n in text]
        return found


def open_page(browser: Browser, server: LiveServer) -> tuple[Page, Traffic]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    traffic = Traffic()

    def intercept(route: Route, request: Request) -> None:
        headers = {k.lower(): v for k, v in request.all_headers().items()}
        traffic.requests.append((request.url, headers, request.post_data_buffer or b""))
        route.continue_()

    page.route("**/*", intercept)
    page.on("console", lambda m: m.type == "error" and traffic.console_errors.append(m.text))
    page.on("pageerror", lambda e: traffic.console_errors.append(str(e)))
    page.goto(server.url + "/")
    return page, traffic


def shot(page: Page, name: str) -> None:
    target = screenshot_dir()
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def sign_up_and_in(page: Page, traffic: Traffic) -> str:
    page.fill("#signup-email", f"{unique('ada')}@example.com")
    page.fill("#signup-org", "Acme Analytics")
    page.click("#sign-up button[type=submit]")
    key = page.locator("#signup-key").inner_text(timeout=15_000).strip()
    assert key.startswith("cnx_")
    shot(page, "sign-in")
    page.fill("#api-key", key)
    page.click("#sign-in button[type=submit]")
    expect(page.locator("#nav a.active")).to_have_text("Databases")
    # Rendered once: a second render would wipe what the user starts typing.
    page.wait_for_load_state("networkidle")
    expect(page.locator("#databases")).to_be_visible()
    listings = [u for u, _h, _b in traffic.requests if u.endswith("/api/v1/databases")]
    assert len(listings) == 1, listings
    return key


@pytest.fixture
def sales_db(pg_admin: psycopg.Connection, pg_db: str) -> Iterator[tuple[str, str]]:
    """A PostgreSQL database with a read-only login role; yields (url, password)."""
    role = unique("cnx_reader")
    password = "pw-" + secrets.token_urlsafe(18)
    pg_admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{pg_db}", autocommit=True) as c:
        c.execute("CREATE TABLE customers (id int PRIMARY KEY, name text, email text)")
        c.execute(
            "INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'),"
            " (2, 'Grace', 'grace@example.com'), (3, 'Edsger', 'ed@example.com')"
        )
        c.execute(f"GRANT SELECT ON customers TO {role}")
    try:
        yield f"postgresql://{role}:{password}@127.0.0.1:5432/{pg_db}", password
    finally:
        pg_admin.execute(f"REVOKE ALL ON DATABASE {pg_db} FROM {role}")
        pg_admin.execute(f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)")
        pg_admin.execute(f"DROP ROLE IF EXISTS {role}")


def query(server: LiveServer, key: str, sql: str) -> object:
    return off_thread(lambda: call(server.url, key, "query", {"database": "sales", "sql": sql}))


def test_dashboard_end_to_end(
    browser: Browser, live_server: LiveServer, sales_db: tuple[str, str]
) -> None:
    url, password = sales_db
    page, traffic = open_page(browser, live_server)
    key = sign_up_and_in(page, traffic)

    # Add the database: the URL is typed into the page and sealed there.
    page.fill("#db-name", "sales")
    page.fill("#db-url", url)
    page.click("#db-add")
    expect(page.locator("#db-output .notice.ok")).to_contain_text("Added sales", timeout=30_000)
    expect(page.locator("#databases")).to_contain_text("sales")
    assert page.input_value("#db-url") == ""
    shot(page, "databases")

    # The round trip: Python opens the browser's envelope on the server with the same key.
    result = query(live_server, key, "SELECT name FROM customers ORDER BY id")
    assert not result.is_error, text_of(result)
    assert result.structured_content["rows"] == [["Ada"], ["Grace"], ["Edsger"]]

    # Test the connection from the page.
    page.click("button[data-action=test][data-db=sales]")
    expect(page.locator("#db-output .notice.ok")).to_contain_text("connection works")

    # Policy editor: deny a column, and the next query reading it is refused.
    page.click("button[data-action=policy][data-db=sales]")
    page.fill("#policy-denied", "customers.email")
    page.click("#policy-form button[type=submit]")
    expect(page.locator("#policy-status .notice.ok")).to_be_visible()
    denied = query(live_server, key, "SELECT email FROM customers")
    assert denied.is_error and "email" in text_of(denied)

    # Tools: the catalog over MCP, and "try it" renders a result table.
    page.click("#nav >> text=Tools")
    expect(page.locator("#tools [data-tool=query]")).to_be_visible()
    page.click("#tools [data-tool=query] button")
    page.fill("#arg-sql", "SELECT id, name FROM customers WHERE id < 3 ORDER BY id")
    page.click("#try-run")
    expect(page.locator("#result-table")).to_contain_text("Grace")
    expect(page.locator("#result-table tbody tr")).to_have_count(2)
    shot(page, "tools")

    # Rotate the key in the browser: credentials re-wrapped here, old key revoked.
    page.click("#nav >> text=API keys")
    page.click("#rotate-key")
    new_key = page.locator("#new-key-text").inner_text(timeout=30_000).strip()
    assert new_key.startswith("cnx_") and new_key != key
    shot(page, "keys")
    with pytest.raises(Exception, match="error"):  # the revoked key cannot even connect
        query(live_server, key, "SELECT 1")
    rotated = query(live_server, new_key, "SELECT count(*) AS n FROM customers")
    assert not rotated.is_error, text_of(rotated)
    assert rotated.structured_content["rows"] == [[3]]

    # Audit: the calls above are listed, charted and verified in the page.
    page.click("#nav >> text=Audit")
    expect(page.locator("#verification")).to_contain_text("checkpoint", timeout=30_000)
    page.click("#issue-checkpoint")
    expect(page.locator("#verified")).to_be_visible(timeout=30_000)
    expect(page.locator("#audit-table")).to_contain_text("query")
    expect(page.locator("#audit-table")).to_contain_text("conexor-dashboard")
    expect(page.locator("#calls-chart rect")).not_to_have_count(0)
    shot(page, "audit")
    with page.expect_download() as download:
        page.click("#export-buttons [data-format=csv]")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert rows[0][:3] == ["seq", "ts", "org_id"]
    assert any(r[rows[0].index("tool")] == "query" for r in rows[1:])
    with page.expect_download() as cp_download:
        page.click("#download-checkpoint")
    assert "conexor" in Path(cp_download.value.path()).read_text("utf-8")

    # Nothing but ciphertext ever left the page; the key only as a Bearer header.
    assert traffic.requests, "no traffic was intercepted"
    assert traffic.leaks(url, password) == []
    for request_url, headers, _ in traffic.requests:
        assert request_url.startswith(live_server.url), request_url
        assert key not in request_url and new_key not in request_url
        auth = headers.get("authorization")
        assert auth is None or auth in (f"Bearer {key}", f"Bearer {new_key}")
    uploads = [b for u, _, b in traffic.requests if u.endswith("/api/v1/databases") and b]
    assert uploads and all(b'"envelope"' in b for b in uploads)
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert traffic.console_errors == []


def test_agent_mode_and_bad_key(browser: Browser, live_server: LiveServer) -> None:
    page, traffic = open_page(browser, live_server)
    page.fill("#api-key", "cnx_notakey")
    page.click("#sign-in button[type=submit]")
    expect(page.locator("#sign-in-status .notice.error")).to_be_visible()
    sign_up_and_in(page, traffic)
    page.select_option("#db-mode", "agent")
    expect(page.locator("#db-url-row")).to_be_hidden()
    page.fill("#db-name", "onprem")
    page.select_option("#db-dialect", "mysql")
    page.click("#db-add")
    command = page.locator("#agent-command").inner_text(timeout=15_000)
    assert "CONEXOR_AGENT_TOKEN='cnxa_" in command
    assert f"--server {live_server.url}" in command
    expect(page.locator("#databases")).to_contain_text("onprem")

    # Agent tokens: list, issue another (shown once with its command).
    page.click("button[data-action=agents][data-db=onprem]")
    expect(page.locator("#agent-tokens")).to_contain_text("0 agent(s) connected")
    page.click("#agent-tokens >> text=New agent token")
    expect(page.locator("#agent-tokens tbody tr")).to_have_count(2)

    # Remove it, after the confirmation dialog.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[data-action=remove][data-db=onprem]")
    expect(page.locator("#db-output .notice.ok")).to_contain_text("Removed onprem")
    expect(page.locator("#databases")).not_to_contain_text("onprem")

    # Keys: create one (shown once), then revoke it.
    page.click("#nav >> text=API keys")
    page.fill("#key-label", "laptop")
    page.click("#create-key button[type=submit]")
    created = page.locator("#new-key-text").inner_text().strip()
    assert created.startswith("cnx_")
    expect(page.locator("#keys")).to_contain_text("laptop")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#keys button[data-action=revoke]")
    expect(page.locator("#keys-output .notice.ok")).to_contain_text("Revoked")
    expect(page.locator("#keys")).to_contain_text("revoked")

    # The refused sign-in is the only error the browser logged.
    assert [e for e in traffic.console_errors if "401" not in e] == []


def test_security_headers_and_assets(live_server: LiveServer) -> None:
    with httpx2.Client(base_url=live_server.url) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["x-content-type-options"] == "nosniff"
        # No inline script or style, and no other origin, anywhere in the page.
        assert "<script>" not in page.text and "style=" not in page.text
        assert "http://" not in page.text.replace("http://www.w3.org", "")
        assert "https://" not in page.text
        module = client.get("/assets/app.js")
        assert module.status_code == 200
        assert module.headers["content-type"].startswith("text/javascript")
        assert client.get("/assets/").status_code == 404
        assert client.get("/assets/../server/app.py").status_code == 404
        api = client.get("/api/v1/me")
        assert api.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert client.get("/healthz").headers["x-frame-options"] == "DENY"
        # Another site's page cannot drive /mcp from a victim's browser (DNS rebinding, CSRF).
        key = client.post("/api/v1/signup", json={"email": "o@example.com"}).json()["api_key"]
        hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        headers = {
            "Authorization": f"Bearer {key}",
            "Accept": "application/json, text/event-stream",
        }
        foreign = client.post(
            "/mcp", json=hello, headers={**headers, "Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        own = client.post("/mcp", json=hello, headers={**headers, "Origin": live_server.url})
        assert own.status_code != 403


def test_static_files_use_no_other_origin() -> None:
    """Every asset is ours: no URL to another origin, no eval, no innerHTML."""
    static = Path(__file__).parents[2] / "src" / "conexor" / "web" / "static"
    names = {path.name for path in static.iterdir()}
    assert {"index.html", "app.js", "envelope.js", "auditverify.js", "style.css"} <= names
    for path in static.iterdir():
        text = path.read_text("utf-8")
        for forbidden in (
            "https://",
            ".innerHTML",
            ".outerHTML",
            "insertAdjacentHTML",
            "eval(",
            "new Function",
            "document.write",
        ):
            assert forbidden not in text, f"{path.name} contains {forbidden}"
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), path.name
