"""The one reader of ``DATABASE_URL`` (gis/config.py) and its callers."""

from __future__ import annotations

import argparse

import pytest

from gis.cli import batch, db
from gis.config import database_url

URL = "postgresql://gis@db/gis"
OTHER = "postgresql://gis@other/gis"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ""),
        ({"DATABASE_URL": URL}, URL),
        ({"GIS_DATABASE_URL": OTHER}, OTHER),
        ({"GIS_DATABASE_URL": OTHER, "DATABASE_URL": URL}, OTHER),  # the GIS_ name wins
        ({"GIS_DATABASE_URL": "", "DATABASE_URL": URL}, ""),  # even empty: the folders
        ({"PATH": "/bin"}, ""),
    ],
)
def test_database_url_precedence(environ: dict[str, str], expected: str) -> None:
    assert database_url(environ) == expected


def test_database_url_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", URL)
    assert database_url() == URL
    monkeypatch.setenv("GIS_DATABASE_URL", OTHER)
    assert database_url() == OTHER


@pytest.mark.parametrize("module", [batch, db])
def test_the_commands_default_to_the_same_url(
    module: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``baicheng batch`` and ``baicheng db import`` read the variables as the app does."""
    monkeypatch.setenv("GIS_DATABASE_URL", OTHER)
    monkeypatch.setenv("DATABASE_URL", URL)
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers(dest="command"))  # type: ignore[attr-defined]
    argv = ["batch"] if module is batch else ["db", "import"]
    assert parser.parse_args(argv).database_url == OTHER


def test_the_app_defaults_to_the_same_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from app import default_config

    monkeypatch.delenv("GIS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", URL)
    assert default_config(str(tmp_path))["DATABASE_URL"] == URL
