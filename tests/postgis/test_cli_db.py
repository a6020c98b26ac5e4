"""``baicheng db import`` (``python -m gis db import``) on the throwaway PostGIS server."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import psycopg
import pytest

import app
from gis.store.postgis import PostgisStore


def test_baicheng_db_import_loads_the_folder_workspaces(
    postgres_url: str,
    pg_store: PostgisStore,
    demo_workspace_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    county_id = f"cli-{uuid.uuid4().hex[:8]}"
    shutil.copytree(demo_workspace_dir, tmp_path / county_id)
    try:
        code = app.cli(
            ["db", "import", "--database-url", postgres_url, "--workspaces", str(tmp_path)]
        )
        assert code == 0 and capsys.readouterr().out == f"imported {county_id}\n"
        assert county_id in pg_store.county_ids()
        assert pg_store.read_metadata(county_id)["name"].startswith("成都北部示范区")
    finally:
        with psycopg.connect(postgres_url) as conn:
            conn.execute("DELETE FROM gis.current_layers WHERE county_id = %s", (county_id,))
            conn.execute("DELETE FROM gis.counties WHERE county_id = %s", (county_id,))
