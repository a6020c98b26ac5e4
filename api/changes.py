"""Year over year: ``GET /api/v1/counties/<county_id>/indicators/changes``.

Two ways to pick what is compared, both through :func:`gis.year_over_year.compare`:

- ``?from=2018&to=2020``: the county's batch results of two years (``python -m gis batch``,
  read from ``RESULTS_DIR`` as the province page reads them).  Without ``to``, the latest year
  with a result; without ``from``, the latest earlier one.  The batch results are what the
  province page publishes, so anyone may read them.
- ``?since=2026-03-01`` or ``?since=parks:2``: the indicators computed now on the workspace as
  it was then (:mod:`gis.store.snapshot`) → now, with the indicator parameters of the query.
  Layer versions are the county staff's history, so this needs the county's staff (or an
  administrator), like ``…/layers/<layer>/versions``.

Nothing to compare answers 404 ``nothing_to_compare`` (no result for the county, only one year,
nothing committed since the moment); a bad combination of parameters 422.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Float, Integer, String
from apiflask.validators import Length, Range
from flask import jsonify
from flask.typing import ResponseReturnValue

from api.auth import current_user, ensure_can_write
from api.cache import settings_key
from api.common import MIN_YEAR, get_store, settings_from
from gis.errors import GisError
from gis.ranking import rank_year
from gis.year_over_year import compare

bp = APIBlueprint("changes", __name__, url_prefix="/api/v1", tag="Year over year")


class NothingToCompareError(GisError):
    """There is no earlier result (or state) of the county to compare with."""

    status = 404
    code = "nothing_to_compare"


class ChangesQueryError(GisError):
    """The parameters do not name one comparison."""

    status = 422
    code = "invalid_parameter"


class ChangesQuery(Schema):
    """Either two batch years (``from``, ``to``) or an earlier workspace state (``since``)."""

    from_year = Integer(
        data_key="from",
        load_default=None,
        validate=Range(min=MIN_YEAR, max=2100),
        metadata={"description": "earlier batch year; default the latest before `to`"},
    )
    to_year = Integer(
        data_key="to",
        load_default=None,
        validate=Range(min=MIN_YEAR, max=2100),
        metadata={"description": "later batch year; default the latest with a result"},
    )
    since = String(
        load_default=None,
        validate=Length(min=1, max=64),
        metadata={
            "description": "an earlier state of the workspace: a date (2026-03-01, start of "
            "the day UTC), a date and time (2026-03-01T08:30:00+08:00) or a layer version "
            "(parks:2, the moment it was committed); staff of the county only"
        },
    )
    year = Integer(load_default=None, validate=Range(min=MIN_YEAR, max=2100))
    minutes = Float(load_default=None, validate=Range(min=0, max=120, min_inclusive=False))
    walk_speed = Float(load_default=None, validate=Range(min=0.2, max=3.0))


def county_results(county_id: str) -> dict[int, dict[str, Any]]:
    """Year → the county's batch result document."""
    from api.province import all_results

    out = {}
    for year, docs in all_results().items():
        for doc in docs:
            if str(doc.get("county_id")) == county_id:
                out[year] = doc
    return out


def _rank(year: int, county_id: str) -> int | None:
    from api.province import all_results

    rows = rank_year(all_results().get(year, []))
    return next((r.rank for r in rows if r.county_id == county_id), None)


def year_changes(county_id: str, from_year: int | None, to_year: int | None) -> dict[str, Any]:
    """The county's batch results of ``from_year`` → ``to_year`` compared (defaults above)."""
    by_year = county_results(county_id)
    years = sorted(by_year)
    run = "run `python -m gis batch --year YEAR` for the years to compare"
    if not years:
        msg = f"{county_id}: no batch result of any year; {run}"
        raise NothingToCompareError(msg)
    if from_year is not None and to_year is not None and from_year >= to_year:
        msg = f"from={from_year} must be earlier than to={to_year}"
        raise ChangesQueryError(msg)
    to = to_year if to_year is not None else years[-1]
    earlier = [y for y in years if y < to]
    start = from_year if from_year is not None else (earlier[-1] if earlier else None)
    for label, y in (("to", to), ("from", start)):
        if y is not None and y not in by_year:
            msg = (
                f"{county_id}: no batch result for {label}={y} (years with results: {years}); {run}"
            )
            raise NothingToCompareError(msg)
    if start is None or start >= to:
        msg = (
            f"{county_id}: no batch result before {to} to compare with "
            f"(years with results: {years}); {run}"
        )
        raise NothingToCompareError(msg)
    comparison = compare(
        by_year[start]["report"],
        by_year[to]["report"],
        previous_rank=_rank(start, county_id),
        current_rank=_rank(to, county_id),
    )
    return {
        "county_id": county_id,
        "mode": "years",
        "from": start,
        "to": to,
        "years_available": years,
        "comparison": comparison,
    }


def since_changes(county_id: str, since: str, query: dict[str, Any]) -> dict[str, Any]:
    """The indicators on the workspace as it was at ``since`` → now (same parameters)."""
    from gis.report import county_report
    from gis.store.snapshot import read_workspace_at, resolve_since

    store = get_store()
    store.location(county_id)  # 404 for an unknown county before anything else
    settings = settings_from(query)
    when = resolve_since(store.backend, county_id, since)
    then = read_workspace_at(store.backend, county_id, when)
    if not then.changed:
        msg = (
            f"{county_id}: nothing to compare: no layer version was committed after "
            f"{when.isoformat(timespec='seconds')} (since={since!r}), so the indicators then "
            "are those of now"
        )
        raise NothingToCompareError(msg)
    now_report, _results = store.report(county_id, settings)
    versions = tuple(sorted((k, -1 if v is None else v) for k, v in then.versions.items()))
    key = ("changes-since", county_id, store.version(county_id), versions, settings_key(settings))

    def compute() -> dict[str, Any]:
        with store.compute_guard(county_id, settings):
            return county_report(then.workspace, settings)[0]

    then_report = store.derived(key, compute)
    return {
        "county_id": county_id,
        "mode": "since",
        "since": {"requested": since, **then.to_dict()},
        "comparison": compare(then_report, now_report),
    }


@bp.get("/counties/<county_id>/indicators/changes")
@bp.input(ChangesQuery, location="query", arg_name="query")
@bp.doc(
    summary="Indicators before → after (year over year, or since a workspace version)",
    description="Each indicator's earlier and current value, the change (in its unit, in "
    "percentage points for shares), the direction relative to its target (improved / worse / "
    "unchanged / no_data), pass/fail before and after, and score, grade and rank before → "
    "after (gis.year_over_year.compare; docs/year_over_year.md). `from`/`to`: two years of "
    "batch results (public). `since`: the workspace as it was at a date or layer version → "
    "now, recomputed with `year`/`minutes`/`walk_speed` (the county's staff only). 404 "
    "`nothing_to_compare` when there is no earlier result or nothing changed; 422 for "
    "`from` ≥ `to` or `since` with `from`/`to`.",
    responses={
        401: "since: not signed in",
        403: "since: not this county's staff",
        404: "",
        422: "",
    },
)
def get_changes(county_id: str, query: dict[str, Any]) -> ResponseReturnValue:
    since = query.get("since")
    if since is not None:
        if query.get("from_year") is not None or query.get("to_year") is not None:
            msg = "give either from/to (two batch years) or since (a workspace version), not both"
            raise ChangesQueryError(msg)
        ensure_can_write(current_user(), county_id)
        return jsonify(since_changes(county_id, since, query))
    return jsonify(year_changes(county_id, query.get("from_year"), query.get("to_year")))


# --- planner dashboard ----------------------------------------------------------------------
def results_token() -> int:
    """Changes whenever a batch result file changes: part of the planner page's cache key."""
    from flask import current_app

    from api.province import all_results

    all_results()  # re-reads the results (and their signature) when a file changed
    return hash(current_app.extensions["province_results"]["signature"])


def previous_result(county_id: str, year: int) -> tuple[int | None, dict[str, Any] | None]:
    """The county's latest batch result of a year before ``year``: (year, county_report dict)."""
    by_year = county_results(county_id)
    earlier = [y for y in sorted(by_year) if y < year]
    if not earlier:
        return None, None
    return earlier[-1], by_year[earlier[-1]]["report"]


def dashboard_changes(county_id: str, year: int, now: dict[str, Any]) -> dict[str, Any] | None:
    """Since last year, for the planner dashboard: the latest batch result before ``year`` → now.

    ``None`` (no section on the page) when the county has no batch result of an earlier year.
    Display strings are added for the template.
    """
    from api.pages import fmt_number

    previous_year, previous = previous_result(county_id, year)
    if previous is None:
        return None
    comparison = compare(previous, now)

    def shown(value: Any) -> str:
        return fmt_number(value)

    rows = [
        {
            **row,
            "previous_display": shown(row["previous_value"]),
            "current_display": shown(row["current_value"]),
            "change_display": "—"
            if row["change"] is None
            else f"{'+' if row['change'] > 0 else ''}{shown(row['change'])} {row['change_unit']}",
        }
        for row in comparison["indicators"]
    ]
    return {**comparison, "previous_year": previous_year, "indicators": rows}
