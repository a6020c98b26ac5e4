"""gzip for text responses (pages, JSON, GeoJSON, scripts, stylesheets), cached by ETag.

A map page embeds its layers and weighs about a megabyte; gzip brings it to a fraction on a
phone.  Responses with an ETag (cached JSON, pages, static files) are compressed once and kept;
their ETag becomes weak (``W/"..."``) so If-None-Match still answers 304 (weak comparison).
Behind a reverse proxy that compresses, set ``GZIP = False``.
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

from api.cache import LRU

COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/csv",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/geo+json",
        "image/svg+xml",
    }
)
MIN_BYTES = 1024
LEVEL = 6


def register_compression(app: Flask) -> None:
    """Compress eligible responses of ``app`` when the client accepts gzip."""
    cache = LRU(512, max_bytes=32 * 1024 * 1024, sizer=len)  # gzipped bodies by ETag

    @app.after_request
    def _gzip(response: Response) -> Response:
        if not app.config.get("GZIP", True) or response.status_code != 200:
            return response
        if response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers:
            return response
        if "gzip" not in request.headers.get("Accept-Encoding", ""):
            return response
        response.direct_passthrough = False
        data = response.get_data()
        if len(data) < MIN_BYTES:
            return response
        etag, _weak = response.get_etag()
        if etag:
            body = cache.get_or_compute((etag, len(data)), lambda: gzip.compress(data, LEVEL))
            response.set_etag(etag, weak=True)
        else:
            body = gzip.compress(data, LEVEL)
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
