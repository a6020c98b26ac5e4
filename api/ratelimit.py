"""Rate limits (Flask-Limiter): failed sign-ins, failed API tokens, indicator recomputation.

Three budgets, each a ``limits`` string (``"10 per 15 minutes"``) in the app config (also as
``GIS_…`` environment variables); ``RATELIMIT_ENABLED = False`` turns all of them off:

- ``LOGIN_LIMIT_PER_ACCOUNT`` and ``LOGIN_LIMIT_PER_ADDRESS``: failed sign-ins (answers 401 of
  ``POST /login``) per account name and per client address.  When either is spent, every sign-in
  of that account or from that address, even with the right password, answers 429 until the
  window has passed.
- ``TOKEN_FAILURE_LIMIT``: requests with an unknown or malformed ``Authorization: Bearer`` token
  per client address; then 429 for every Bearer request from that address.
- ``RECOMPUTE_LIMIT``: indicator runs with *non-default* parameters (``minutes``,
  ``walk_speed``, ``year``) per client address.  Only a run that is not cached counts: a cached
  answer, and the default parameters shared by every visitor, are never refused.  At most
  ``RECOMPUTE_CONCURRENCY`` such runs go on at once in one process (else 503 ``busy`` with
  ``Retry-After``), so with threaded workers the pages everybody reads keep a free thread.

Counters live in ``RATELIMIT_STORAGE_URI`` (Flask-Limiter's setting; ``memory://`` by default,
i.e. per worker process; point every worker at one ``redis://`` or ``memcached://`` store to
share them).  The client address is ``request.remote_addr``: behind a reverse proxy, wrap the
app in ``werkzeug.middleware.proxy_fix.ProxyFix`` so it is the visitor's.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from apiflask import APIFlask
from flask import Response, current_app, has_request_context, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from gis.errors import GisError
from gis.settings import DEFAULT_SETTINGS, IndicatorSettings

DEFAULTS: dict[str, Any] = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_STRATEGY": "moving-window",
    "LOGIN_LIMIT_PER_ACCOUNT": "10 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
    "TOKEN_FAILURE_LIMIT": "30 per 15 minutes",
    "RECOMPUTE_LIMIT": "20 per 5 minutes",
    "RECOMPUTE_CONCURRENCY": 1,  # indicator runs with new parameters at once, per process
    "RECOMPUTE_WAIT_S": 0.0,  # wait this long for a free slot before answering 503
    "RECOMPUTE_RETRY_AFTER_S": 5,
}
LOGIN_ENDPOINT = "auth.login"


class RateLimitedError(GisError):
    """Too many requests of one kind from one client (429, with ``Retry-After``)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, message_zh: str, source: str, retry_after_s: int) -> None:
        from gis.errors import ProblemCollector

        problems = ProblemCollector()
        problems.add(source, message, message_zh, "rate_limited")
        super().__init__(message, problems.problems)
        self.message_zh = message_zh
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Budget:
    """One configured limit: its config key and the text of its refusal."""

    key: str
    scope: str
    en: str
    zh: str


LOGIN_ACCOUNT = Budget(
    "LOGIN_LIMIT_PER_ACCOUNT",
    "login-account",
    "too many failed sign-ins for this account; try again in {minutes} minute(s)",
    "该账号登录失败次数过多，请 {minutes} 分钟后再试",
)
LOGIN_ADDRESS = Budget(
    "LOGIN_LIMIT_PER_ADDRESS",
    "login-address",
    "too many failed sign-ins from your address; try again in {minutes} minute(s)",
    "您的地址登录失败次数过多，请 {minutes} 分钟后再试",
)
TOKEN_ADDRESS = Budget(
    "TOKEN_FAILURE_LIMIT",
    "token-address",
    "too many requests with an invalid API token from your address; "
    "try again in {minutes} minute(s) with a valid token",
    "您的地址使用无效 API 令牌的请求过多，请 {minutes} 分钟后使用有效令牌重试",
)
RECOMPUTE = Budget(
    "RECOMPUTE_LIMIT",
    "recompute",
    "too many indicator computations with new parameters from your address ({limit}); "
    "use the default or an already requested minutes/walk_speed, or try again in "
    "{minutes} minute(s)",
    "您的地址以新参数计算指标的次数过多（{limit}）；请使用默认或已请求过的 minutes/walk_speed，"
    "或 {minutes} 分钟后再试",
)


def get_limiter() -> Limiter:
    """The app's :class:`flask_limiter.Limiter`."""
    limiter: Limiter = current_app.extensions["gis_limiter"]
    return limiter


def _item(budget: Budget) -> RateLimitItem:
    return parse(str(current_app.config[budget.key]))


def _refusal(budget: Budget, item: RateLimitItem, identity: str) -> RateLimitedError:
    limiter = get_limiter().limiter
    reset_at, _remaining = limiter.get_window_stats(item, budget.scope, identity)
    retry_after = max(1, math.ceil(reset_at - time.time()))
    minutes = max(1, math.ceil(retry_after / 60))
    text = {"minutes": minutes, "limit": str(current_app.config[budget.key])}
    return RateLimitedError(
        budget.en.format(**text), budget.zh.format(**text), budget.scope, retry_after
    )


def check(budget: Budget, identity: str) -> None:
    """Raise :class:`RateLimitedError` when ``identity`` has spent ``budget`` (no charge)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    item = _item(budget)
    if not get_limiter().limiter.test(item, budget.scope, identity):
        raise _refusal(budget, item, identity)


def charge(budget: Budget, identity: str) -> None:
    """Count one use of ``budget`` by ``identity``; raise :class:`RateLimitedError` when spent."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    item = _item(budget)
    if not get_limiter().limiter.hit(item, budget.scope, identity):
        raise _refusal(budget, item, identity)


def client_address() -> str:
    """The client's address (``request.remote_addr``)."""
    return get_remote_address() or "unknown"


def _account() -> str:
    return request.form.get("name", "").strip().casefold()[:64]


def _before() -> None:
    if request.method == "POST" and request.endpoint == LOGIN_ENDPOINT:
        check(LOGIN_ADDRESS, client_address())
        if _account():
            check(LOGIN_ACCOUNT, _account())
    elif request.headers.get("Authorization"):
        check(TOKEN_ADDRESS, client_address())


def _after(response: Response) -> Response:
    if response.status_code != 401 or not current_app.config["RATELIMIT_ENABLED"]:
        return response
    limiter = get_limiter().limiter
    if request.method == "POST" and request.endpoint == LOGIN_ENDPOINT:
        limiter.hit(_item(LOGIN_ADDRESS), LOGIN_ADDRESS.scope, client_address())
        if _account():
            limiter.hit(_item(LOGIN_ACCOUNT), LOGIN_ACCOUNT.scope, _account())
    elif request.headers.get("Authorization"):
        limiter.hit(_item(TOKEN_ADDRESS), TOKEN_ADDRESS.scope, client_address())
    return response


def _render(error: RateLimitedError | ComputeBusyError) -> Response:
    from api.errors import error_body, render_error

    headers = {"Retry-After": str(error.retry_after_s)}
    if request.endpoint == LOGIN_ENDPOINT and not request.path.startswith("/api/"):
        from api.auth import _safe_next

        html = render_template(
            "login.html",
            error=f"{error.message_zh} / {error.message}",
            next_url=_safe_next(request.values.get("next")),
            lang=request.args.get("lang", "zh"),
        )
        response = Response(html, status=429, mimetype="text/html")
        response.headers.update(headers)
        return response
    problems = [p.as_dict() for p in error.problems]
    body = error_body(error.status, f"{error.message} / {error.message_zh}", error.code, problems)
    return render_error(error.status, body, headers)


class ComputeBusyError(GisError):
    """Every indicator run this process may make at once is under way (503, ``Retry-After``)."""

    status = 503
    code = "busy"

    def __init__(self, retry_after_s: int) -> None:
        from gis.errors import ProblemCollector

        en = (
            "the server is computing indicators for other parameters; try again in "
            f"{retry_after_s} s (the default parameters are always served)"
        )
        zh = f"服务器正在计算其他参数的指标，请 {retry_after_s} 秒后再试（默认参数随时可用）"
        problems = ProblemCollector()
        problems.add("recompute", en, zh, "busy")
        super().__init__(en, problems.problems)
        self.message_zh = zh
        self.retry_after_s = retry_after_s


@contextlib.contextmanager
def guard_recompute(county_id: str, settings: IndicatorSettings) -> Iterator[None]:
    """Wraps every indicator run the county store makes that is not cached.

    The default parameters are computed once per county version for every visitor and are never
    refused.  Any other set costs the client one unit of ``RECOMPUTE_LIMIT`` and needs one of the
    process's ``RECOMPUTE_CONCURRENCY`` slots (else 503 at once: a worker's other threads stay
    free for the pages everybody reads).
    """
    from api.cache import settings_key

    if not has_request_context() or settings_key(settings) == settings_key(DEFAULT_SETTINGS):
        yield  # the CLI, a batch, a warm-up, the shared defaults: nothing to charge
        return
    slots: threading.BoundedSemaphore = current_app.extensions["gis_compute_slots"]
    if not slots.acquire(timeout=float(current_app.config["RECOMPUTE_WAIT_S"])):
        raise ComputeBusyError(int(current_app.config["RECOMPUTE_RETRY_AFTER_S"]))
    try:
        charge(RECOMPUTE, client_address())  # only a run that really starts is charged
        yield
    finally:
        slots.release()


def init_rate_limits(app: APIFlask) -> Limiter:
    """Create the app's limiter (its own counters) and install the hooks and the 429 page."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    app.extensions["gis_limiter"] = limiter
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(RateLimitedError, _render)
    app.register_error_handler(ComputeBusyError, _render)
    app.extensions["gis_compute_slots"] = threading.BoundedSemaphore(
        max(1, int(app.config["RECOMPUTE_CONCURRENCY"]))
    )
    store = app.extensions.get("gis_store")
    if store is not None:
        store.compute_guard = guard_recompute
    return limiter
