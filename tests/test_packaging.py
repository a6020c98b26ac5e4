"""Packaging: the wheel holds the code, templates, static files and data, and ``baicheng`` works.

The wheel is built offline with the venv's setuptools (``--no-build-isolation``; make setup
installs it from requirements.lock) from a copy of the files pyproject.toml packages, installed
with ``pip install --target`` and run from another folder with only that copy importable, as
after ``pip install .`` in a fresh venv.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

import app
from gis.resources import SOURCE_TREE, resource_dir

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "ingest" / "tiny.osm"
TINY_BOUNDARY = ROOT / "tests" / "data" / "ingest" / "tiny_boundary.geojson"
BUILD_INPUTS = ("pyproject.toml", "README.md", "app.py", "gis", "api", "layers")
SHIPPED = ("templates", "static", "data")
PACKAGES = ("gis", "api", "layers")
SETUPTOOLS_MIN = (77,)


def _files(folder: Path) -> list[str]:
    """Every file under ``folder`` relative to the project root, without caches."""
    return sorted(
        p.relative_to(ROOT).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def _pip(*args: str | Path, cwd: Path | None = None) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *map(str, args)]
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this tree, built offline from a copy (no build/ left in the tree)."""
    major = tuple(int(p) for p in version("setuptools").split(".")[:1])
    assert major >= SETUPTOOLS_MIN, "building the wheel needs setuptools>=77: run `make setup`"
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in BUILD_INPUTS + SHIPPED:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, src)
    (found,) = out.glob("baicheng_gis-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed into a folder of its own (its scripts in ``bin/``)."""
    target = tmp_path_factory.mktemp("site")
    _pip("install", "--no-deps", "--no-index", "--target", target, wheel)
    return target


def _run_installed(site: Path, cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``site/bin/baicheng`` from ``cwd`` with only the installed copy importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GIS_"))}
    env |= {"PYTHONPATH": str(site), "PYTHONNOUSERSITE": "1", "GIS_SECRET_KEY": "k" * 40}
    return subprocess.run(
        [str(site / "bin" / "baicheng"), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_wheel_holds_code_templates_static_and_data(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = whl.read(f"{dist_info}/entry_points.txt").decode()
        metadata = whl.read(f"{dist_info}/METADATA").decode()
    code = [f for pkg in PACKAGES for f in _files(ROOT / pkg) if f.endswith(".py")]
    assert "app.py" in names and set(code) <= names
    shipped = [f for folder in SHIPPED for f in _files(ROOT / folder)]
    missing = sorted(f for f in shipped if f"gis/_files/{f}" not in names)
    assert not missing
    for needed in (
        "gis/_files/templates/planner.html",
        "gis/_files/static/vendor/leaflet-1.9.4/dist/leaflet.js",
        "gis/_files/static/vendor/fontawesome-free-6.2.0/webfonts/fa-solid-900.woff2",
        "gis/_files/data/henan/henan_district_tianditu_wgs84.geojson",
        "gis/_files/data/osm/chengdu_jinniu_xindu.osm.bz2",
    ):
        assert needed in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/")) or ".pyc" in n]
    assert "[console_scripts]\nbaicheng = app:cli" in entry_points
    for extra in ("postgis", "dask", "dev"):
        assert f"Provides-Extra: {extra}" in metadata
    assert 'Requires-Dist: psycopg[binary]==3.3.9; extra == "postgis"' in metadata
    assert 'Requires-Dist: distributed==2026.8.0; extra == "dask"' in metadata


def test_installed_baicheng_ingests_and_describes_a_workspace_from_another_folder(
    installed: Path, tmp_path: Path
) -> None:
    helped = _run_installed(installed, tmp_path, "--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("ingest", "info", "indicators", "batch", "fetch-osm", "db", "serve", "users"):
        assert command in helped.stdout
    ingested = _run_installed(
        installed, tmp_path, "ingest", "--osm", TINY, "--boundary", TINY_BOUNDARY,
        "--population-total", "5000", "--county-id", "tiny-test", "--out", "ws/tiny",
    )  # fmt: skip
    assert ingested.returncode == 0, ingested.stderr
    info = _run_installed(installed, tmp_path, "info", "ws/tiny")
    assert info.returncode == 0, info.stderr
    assert "county_id   tiny-test" in info.stdout and "roads" in info.stdout


def test_installed_app_serves_templates_static_files_and_province_data(
    installed: Path, tmp_path: Path
) -> None:
    script = (
        "import app, gis\n"
        f"assert gis.__file__.startswith({str(installed)!r}), gis.__file__\n"
        "a = app.create_app({'TESTING': True}, instance_path=__import__('os').getcwd())\n"
        "c = a.test_client()\n"
        "for url in ('/login', '/province', '/api/v1/docs',\n"
        "            '/static/vendor/leaflet-1.9.4/dist/leaflet.js', '/static/js/gis-map.js'):\n"
        "    assert c.get(url).status_code == 200, url\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GIS_"))}
    env |= {"PYTHONPATH": str(installed), "PYTHONNOUSERSITE": "1", "GIS_SECRET_KEY": "k" * 40}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr


def test_the_source_tree_is_used_when_not_installed() -> None:
    assert resource_dir("templates") == SOURCE_TREE / "templates" == ROOT / "templates"
    assert resource_dir("static") == ROOT / "static" and resource_dir("data") == ROOT / "data"


def test_baicheng_runs_the_gis_commands_and_db_import_needs_a_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("GIS_DATABASE_URL", raising=False)
    assert app.cli(["db", "import"]) == 2
    assert "set DATABASE_URL or --database-url" in capsys.readouterr().err
    assert app.cli(["info", str(ROOT / "no-such-workspace")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_baicheng_users_is_the_flask_users_group_on_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIS_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "")  # FlaskGroup sets it; unset again afterwards
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert app.cli(["users", "create", "root", "--role", "admin", "--password-stdin"]) == 0
    assert app.cli(["--debug", "users", "list"]) == 0
    assert "root\tadmin" in capsys.readouterr().out
    assert (tmp_path / "instance" / "users.sqlite").is_file()  # ./instance, as baicheng serve
    assert app.cli(["users", "delete", "bob"]) == 1
    assert "no user named 'bob'" in capsys.readouterr().err
    assert app.cli(["users", "--help"]) == 0
    assert "revoke-tokens" in capsys.readouterr().out
