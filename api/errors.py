"""One error shape for the whole app: ``{"code", "message", "errors": [...]}``.

:class:`gis.errors.GisError` (raised by ``gis``), APIFlask's :class:`HTTPError` (request
validation, ``abort``) and werkzeug's HTTP errors (unknown URL, wrong method, body too large) all
render through :func:`error_body`.  Unexpected exceptions are logged with their traceback and
answered with a 500 in the same shape, never with the traceback.  Page URLs (not under
``/api/``) answered to a browser get the same content as a small HTML page.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask, HTTPError
from flask import Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from gis.errors import GisError

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message", "errors"],
    "properties": {
        "code": {"type": "string", "description": "stable machine-readable code"},
        "message": {"type": "string", "description": "what is wrong and how to fix it"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "source": {"type": "string", "description": "parameter, file or layer"},
                    "location": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "message_zh": {"type": "string"},
                },
            },
        },
    },
}

_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}
_LOCATIONS = {
    "query": "query parameter",
    "json": "body field",
    "form": "form field",
    "view_args": "path parameter",
    "files": "file",
}


def _validation_errors(detail: Any) -> list[dict[str, str]]:
    """Flatten marshmallow's ``{"query": {"year": ["Not a valid integer."]}}``."""
    errors: list[dict[str, str]] = []
    if not isinstance(detail, dict):
        return errors
    for location, fields in detail.items():
        if not isinstance(fields, dict):
            continue
        for name, messages in fields.items():
            texts = messages if isinstance(messages, list) else [str(messages)]
            for text in texts:
                errors.append(
                    {
                        "source": str(name),
                        "location": str(location),
                        "code": "invalid_parameter",
                        "message": f"{_LOCATIONS.get(location, location)} {name!r}: {text}",
                        "message_zh": f"参数 {name} 无效：{text}",
                    }
                )
    return errors


def error_body(
    status: int, message: str, code: str = "", errors: list[Any] | None = None
) -> dict[str, Any]:
    """The JSON error document."""
    return {"code": code or _CODES.get(status, "error"), "message": message, "errors": errors or []}


def _wants_html() -> bool:
    if request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def render_error(status: int, body: dict[str, Any], headers: Any = None) -> Response:
    """A JSON (or, for a browser on a page URL, HTML) error response."""
    if _wants_html():
        html = render_template("error.html", status=status, error=body)
        response = Response(html, status=status, mimetype="text/html")
    else:
        text = current_app.json.dumps(body)
        response = Response(text, status=status, mimetype="application/json")
    for key, value in dict(headers or {}).items():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def register_error_handlers(app: APIFlask) -> None:
    """Install the handlers on ``app``."""

    @app.error_processor
    def _http_error(error: HTTPError) -> Response:
        errors = _validation_errors(error.detail)
        message = error.message or "error"
        if errors:
            message = "invalid request: " + "; ".join(e["message"] for e in errors)
        code = "invalid_parameter" if errors else _CODES.get(error.status_code, "error")
        return render_error(
            error.status_code, error_body(error.status_code, message, code, errors), error.headers
        )

    @app.errorhandler(GisError)
    def _gis_error(error: GisError) -> Response:
        problems = [p.as_dict() for p in error.problems]
        return render_error(
            error.status, error_body(error.status, error.message, error.code, problems)
        )

    @app.errorhandler(HTTPException)
    def _werkzeug_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = f"{error.name}: {error.description}" if error.description else error.name
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return render_error(status, error_body(status, message), headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return _werkzeug_error(error)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        message = "internal error; the details are in the server log"
        return render_error(500, error_body(500, message, "internal_error"))
