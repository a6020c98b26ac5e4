"""Fixtures of the web tests (tests/api, tests/web, tests/browser): an app serving copies of the
real demonstration workspace, a test client and a loopback server.

Each test folder's conftest.py imports these with ``from tests.conftest_web import *``.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
from werkzeug.serving import make_server

DEMO_ID = "demo-chengdu-north"
XSS_ID = "xss-test"
XSS_TITLE = '<img src=x onerror="window.__xss=1">'
XSS_ROAD = "</script><script>window.__xss=2</script>"

__all__ = [
    "DEMO_ID",
    "XSS_ID",
    "XSS_ROAD",
    "XSS_TITLE",
    "client",
    "demo_report",
    "live_server",
    "web_app",
    "web_root",
]


def _poison(folder: Path) -> None:
    """Put markup into a public record's title and a road's name (must be shown as text)."""
    gpkg = folder / "workspace.gpkg"
    records = gpd.read_file(gpkg, layer="disclosures")
    first_public = records.index[records["public"].astype(bool)][0]
    records.loc[first_public, "title"] = XSS_TITLE
    pyogrio.write_dataframe(records, gpkg, layer="disclosures")
    roads = gpd.read_file(gpkg, layer="roads")
    roads.loc[roads.index[0], "name"] = XSS_ROAD
    pyogrio.write_dataframe(roads, gpkg, layer="roads")
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    meta["county_id"] = XSS_ID
    meta["name"] = "XSS <b>test</b> county"
    (folder / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="session")
def web_root(demo_workspace_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspaces folder: the demonstration county and a poisoned copy of it."""
    root = tmp_path_factory.mktemp("web") / "workspaces"
    shutil.copytree(demo_workspace_dir, root / DEMO_ID)
    shutil.copytree(demo_workspace_dir, root / XSS_ID)
    _poison(root / XSS_ID)
    return root


@pytest.fixture(scope="session")
def web_app(web_root: Path) -> Any:
    """The app serving ``web_root`` with no basemap (tests are offline)."""
    from app import create_app

    return create_app({"WORKSPACES_DIR": str(web_root), "TESTING": True, "BASEMAP": "none"})


@pytest.fixture()
def client(web_app: Any) -> Any:
    """Flask test client."""
    return web_app.test_client()


@pytest.fixture(scope="session")
def live_server(web_app: Any) -> Iterator[str]:
    """The app on a werkzeug server in a thread on 127.0.0.1 (a free port); yields its base URL."""
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def demo_report(web_root: Path) -> dict[str, Any]:
    """``county_report`` of the demonstration county with default settings, as JSON data."""
    from gis.io import read_workspace
    from gis.report import county_report
    from gis.settings import DEFAULT_SETTINGS

    report, _results = county_report(read_workspace(web_root / DEMO_ID), DEFAULT_SETTINGS)
    loaded: dict[str, Any] = json.loads(json.dumps(report, ensure_ascii=False))
    return loaded
