"""Security headers on every GET route of the URL map (a new route is covered without editing
this file): nosniff, no framing, a referrer policy and a Content-Security-Policy that names no
outside host but the configured basemap's tiles and lets only the page's own inline scripts run."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from api.maps import BASEMAP_HOSTS
from tests.helpers import DEMO_ID

PARAMS = {
    "county_id": DEMO_ID,
    "layer": "parks",
    "record_id": "x",
    "filename": "css/app.css",
}
SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
SOURCE_KEYWORDS = {"'self'", "'none'", "data:", "'unsafe-inline'", "blob:"}


def get_urls(app: Any) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET route, path parameters filled from :data:`PARAMS`."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()):
            url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: PARAMS.get(m.group(1), "x"), rule.rule)
            urls.append((rule.endpoint, url))
    assert len(urls) >= 20
    return urls


def parse_csp(header: str) -> dict[str, list[str]]:
    """``{"directive": [sources]}`` of a Content-Security-Policy header."""
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0].lower()] = words[1:]
    return policy


def inline_hashes(html: str) -> set[str]:
    """The CSP source of every inline script of a page (as the browser hashes it)."""
    out = set()
    for attrs, body in SCRIPT_RE.findall(html):
        if re.search(r"\bsrc\s*=", attrs):
            continue
        digest = hashlib.sha256(body.replace("\r\n", "\n").encode("utf-8")).digest()
        out.add("'sha256-" + base64.b64encode(digest).decode() + "'")
    return out


def check_headers(resp: Any, allowed_hosts: set[str], where: str) -> dict[str, list[str]]:
    headers = resp.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin")
    policy = parse_csp(headers.get("Content-Security-Policy", ""))
    assert policy.get("default-src") == ["'self'"], where
    assert policy.get("frame-ancestors") == ["'none'"], where
    assert policy.get("object-src") == ["'none'"], where
    assert policy.get("base-uri") == ["'none'"], where
    for directive, sources in policy.items():
        for source in sources:
            if source in SOURCE_KEYWORDS or source.startswith("'sha256-"):
                continue
            host = re.sub(r"^https://", "", source)
            assert host in allowed_hosts, (where, directive, source)
    script = policy["script-src"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, where
    assert "data:" not in script and "blob:" not in script, where
    return policy


@pytest.mark.parametrize("basemap", ["none", "osm", "tianditu"])
def test_every_get_route_sends_the_security_headers(
    make_app: Any, web_root: Path, basemap: str
) -> None:
    app = make_app(WORKSPACES_DIR=str(web_root), BASEMAP=basemap, TIANDITU_KEY="testkey123")
    allowed = set(BASEMAP_HOSTS[basemap])
    client = app.test_client()
    for endpoint, url in get_urls(app):
        if basemap != "none" and not endpoint.startswith("pages."):
            continue  # the basemap matters to the map pages only; the rest run once
        resp = client.get(url)
        try:
            policy = check_headers(resp, allowed, url)
            if basemap != "none" and endpoint == "pages.planner_map":
                assert {h.removeprefix("https://") for h in policy["img-src"]} >= allowed
            if resp.mimetype == "text/html":
                hashes = inline_hashes(resp.get_data(as_text=True))
                assert hashes <= set(policy["script-src"]), (url, "an inline script won't run")
        finally:
            resp.close()


def test_error_answers_and_unknown_urls_carry_them_too(client: Any) -> None:
    for url in ("/nowhere", f"/api/v1/counties/{DEMO_ID}/layers/nowhere", "/map/nowhere"):
        check_headers(client.get(url), set(), url)
    check_headers(client.get("/", headers={"Accept": "text/html"}), set(), "/")


def test_the_policy_of_a_cached_page_survives_304(client: Any) -> None:
    """A 304 sends no policy that would replace the cached page's (and so block its script)."""
    first = client.get(f"/map/{DEMO_ID}")
    again = client.get(f"/map/{DEMO_ID}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    csp = again.headers.get("Content-Security-Policy")
    assert csp is None or csp == first.headers["Content-Security-Policy"]
    assert again.headers["X-Frame-Options"] == "DENY"


def test_an_injected_script_would_not_run(client: Any) -> None:
    """Only the page's own inline scripts are allowed, by hash: no blanket 'unsafe-inline'."""
    resp = client.get(f"/public/{DEMO_ID}")
    policy = parse_csp(resp.headers["Content-Security-Policy"])
    hashes = inline_hashes(resp.get_data(as_text=True))
    assert hashes and set(policy["script-src"]) == {"'self'", *hashes}
    injected = inline_hashes("<script>window.__xss = 1</script>")
    assert not injected & set(policy["script-src"])
