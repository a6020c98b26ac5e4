"""Names and small functions the tests import (a plain module: no fixtures).

Fixtures live in ``tests/fixtures/`` (registered in ``tests/conftest.py``) and in the
``conftest.py`` of a test folder; see ``tests/README.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gis.store.postgis import PostgisStore

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CHENGDU_OSM = DATA / "osm" / "chengdu_jinniu_xindu.osm.bz2"
DEMO_BOUNDARY = DATA / "demo" / "boundary.geojson"

DEMO_ID = "demo-chengdu-north"
OTHER_ID = "other-county"
PASSWORD = "correct horse battery staple"
MATRIX_STAFF = "matrix-staff"  # staff of every county of the workspace matrix

# The poisoned copy of the demonstration county in ``web_root`` (shown as text, never run).
XSS_ID = "xss-test"
XSS_TITLE = '<img src=x onerror="window.__xss=1">'
XSS_ROAD = "</script><script>window.__xss=2</script>"

# Henan adcodes the province tests' copies of the demo are shown under (labelled as test
# copies, not those counties).
COPY_CODES = ("410181", "410225")

STORED_FILES = ("workspace.gpkg", "metadata.json", "population.tif")


def create_token(app: Any, name: str, role: str, counties: list[str]) -> str:
    """Create an account through the CLI and return a Bearer token for it."""
    runner = app.test_cli_runner()
    args = ["users", "create", name, "--role", role, "--password-stdin"]
    for county in counties:
        args += ["--county", county]
    result = runner.invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return str(runner.invoke(args=["users", "token", name]).output.strip())


@dataclass
class Accounts:
    """Bearer tokens of one account per role (and a staff member of another county)."""

    staff: str
    other_staff: str
    admin: str
    public: str
    reviewer: str = ""  # a province reviewer (every county's projects; no layer)

    def header(self, who: str) -> dict[str, str]:
        """The Authorization header of ``who`` ('' = anonymous)."""
        if not who:
            return {}
        return {"Authorization": f"Bearer {getattr(self, who)}"}


def create_accounts(app: Any) -> Accounts:
    """alice (staff of DEMO_ID), bob (staff of OTHER_ID), root (admin), viewer (public),
    rita (reviewer)."""
    return Accounts(
        create_token(app, "alice", "staff", [DEMO_ID]),
        create_token(app, "bob", "staff", [OTHER_ID]),
        create_token(app, "root", "admin", []),
        create_token(app, "viewer", "public", []),
        create_token(app, "rita", "reviewer", []),
    )


def tree_hash(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes (the lock file excluded)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".store.lock"):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stored_hash(folder: Path) -> str:
    """SHA-256 of the files readers use: workspace.gpkg, metadata.json, population.tif."""
    digest = hashlib.sha256()
    for name in STORED_FILES:
        path = folder / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


@dataclass
class Writable:
    """An app on a fresh PostGIS copy of the demo, with a staff token for that county."""

    app: Any
    county_id: str
    staff: dict[str, str]
    store: PostgisStore

    def url(self, tail: str = "") -> str:
        """``/api/v1/counties/<county_id><tail>``."""
        return f"/api/v1/counties/{self.county_id}{tail}"


def write_grid_tif(
    path: Path,
    values: Any,
    *,
    left: float,
    top: float,
    cell_m: float,
    crs: str = "EPSG:4544",
    nodata: float | None = -1.0,
    compress: str | None = None,
) -> Path:
    """Write ``values`` (rows x cols persons per cell) as a float32 GeoTIFF, north up."""
    import warnings

    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    grid = np.asarray(values, dtype="float32")
    options: dict[str, Any] = {"compress": compress} if compress else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a grid in a CRS GDAL calls non-standard
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            width=grid.shape[1],
            height=grid.shape[0],
            count=1,
            dtype="float32",
            crs=crs,
            transform=from_origin(left, top, cell_m, cell_m),
            nodata=nodata,
            **options,
        ) as dst:
            dst.write(grid, 1)
    return path


def signed_in_page(
    browser: Any,
    base: str,
    path: str,
    *,
    errors: list[str],
    outside: list[str] | None = None,
    user: str = "alice",
) -> Any:
    """A Playwright page of a new 1400 x 900 context, ``user`` signed in and sent on to ``path``.

    Console and page errors are appended to ``errors``; with ``outside``, every request leaving
    127.0.0.1 is aborted and its address appended there.
    """
    from urllib.parse import urlparse

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    if outside is not None:

        def route(r: Any) -> None:
            if urlparse(r.request.url).hostname == "127.0.0.1" or r.request.url.startswith("data:"):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/login?next={path}")
    page.fill("input[name=name]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
    return page
