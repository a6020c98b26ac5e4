"""Security headers on every answer (see docs/api.md, "Security headers").

- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: strict-origin-when-cross-origin``.
- ``Content-Security-Policy``: everything from this origin only, except the tile images of the
  configured basemap (``BASEMAP``: OSM, 天地图 or none); no framing (``frame-ancestors 'none'``),
  no plugins, no ``<base>``, forms post to this origin only.
- Inline scripts: Folium writes each map as an inline script (a few hundred kB holding the
  layers), and the Swagger UI page and the upload page have a small one.  Instead of
  ``'unsafe-inline'`` the policy lists the SHA-256 of each inline script of the answer itself,
  so a script injected into a page would not run.  Hashes suit the cached pages better than a
  per-request nonce: the map pages are served from a body cache and answered 304 by ETag, and
  a nonce fixed in a cached body is neither per-request nor secret.  The hashes of a body are
  kept per ETag, and a 304 whose hashes are unknown sends no policy, so the browser keeps the
  policy stored with its copy.
- Styles: ``'unsafe-inline'`` for ``style-src`` (Folium's ``<style>`` blocks, Leaflet's and Swagger
  UI's element styles, the legend swatches); styles cannot run code.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections import OrderedDict

from flask import Flask, Response, current_app

from api.maps import BASEMAP_HOSTS

SCRIPT_RE = re.compile(rb"<script\b([^>]*)>(.*?)</script[\s/>]", re.S | re.I)
SRC_RE = re.compile(rb"\bsrc\s*=", re.I)
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
_MEMO_ITEMS = 256


def inline_script_hashes(html: bytes) -> tuple[str, ...]:
    """The CSP sources (``'sha256-…'``) of every inline script of an HTML page, in order.

    The browser hashes the script text as parsed: line breaks normalised to ``\\n``.

    >>> inline_script_hashes(b"<p><script src='/a.js'></script><script>go()</script>")
    ("'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='",)
    """
    out: list[str] = []
    for attrs, body in SCRIPT_RE.findall(html):
        if SRC_RE.search(attrs):
            continue
        text = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        digest = base64.b64encode(hashlib.sha256(text).digest()).decode("ascii")
        source = f"'sha256-{digest}'"
        if source not in out:
            out.append(source)
    return tuple(out)


def content_security_policy(basemap: str, script_hashes: tuple[str, ...] = ()) -> str:
    """The policy for a page using ``basemap`` whose inline scripts have ``script_hashes``.

    >>> content_security_policy("osm").split("; ")[2]
    "img-src 'self' data: https://tile.openstreetmap.org"
    """
    tiles = " ".join(f"https://{host}" for host in BASEMAP_HOSTS.get(basemap, ()))
    directives = (
        "default-src 'self'",
        " ".join(("script-src 'self'", *script_hashes)),
        f"img-src 'self' data: {tiles}".rstrip(),
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
    return "; ".join(directives)


class _HashMemo:
    """Inline-script hashes of recent bodies by ETag (a 304 has no body to hash)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, etag: str) -> tuple[str, ...] | None:
        with self._lock:
            return self._items.get(etag)

    def put(self, etag: str, hashes: tuple[str, ...]) -> None:
        with self._lock:
            self._items[etag] = hashes
            self._items.move_to_end(etag)
            while len(self._items) > _MEMO_ITEMS:
                self._items.popitem(last=False)


def _script_hashes(response: Response, memo: _HashMemo) -> tuple[str, ...] | None:
    """The hashes of the answer's inline scripts; ``None`` when they cannot be known (a 304)."""
    if response.mimetype != "text/html" or response.direct_passthrough:
        return ()
    etag, _weak = response.get_etag()
    if response.status_code == 304:
        return memo.get(etag) if etag else None
    if etag and (known := memo.get(etag)) is not None:
        return known
    hashes = inline_script_hashes(response.get_data())
    if etag:
        memo.put(etag, hashes)
    return hashes


def register_security_headers(app: Flask) -> None:
    """Add the headers to every answer of ``app`` (a view may set its own first)."""
    memo = _HashMemo()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        if "Content-Security-Policy" not in response.headers:
            hashes = _script_hashes(response, memo)
            if hashes is not None:
                basemap = str(current_app.config.get("BASEMAP", "none"))
                response.headers["Content-Security-Policy"] = content_security_policy(
                    basemap, hashes
                )
        return response
