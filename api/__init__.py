"""Flask blueprints: the JSON API under /api/v1, the pages, and (later) uploads and auth.

:data:`BLUEPRINTS` lists ``"module:attribute"`` of every blueprint :func:`app.create_app`
registers; add a line here to plug in a new one (a module that does not exist yet is skipped, so
blueprints of work in progress can be listed before they land).
"""

from __future__ import annotations

import importlib

from flask import Blueprint

BLUEPRINTS: tuple[str, ...] = (
    "api.counties:bp",
    "api.layers:bp",
    "api.disclosures:bp",
    "api.exports:bp",
    "api.pages:bp",
    "api.uploads:bp",
    "api.auth:bp",
    "api.province:bp",
    "api.county_data:bp",
    "api.projects:bp",
    "api.ogc:bp",
    "api.fitness_sites:bp",
    "api.changes:bp",
    "api.scenarios:bp",
    "api.pictures:bp",
    "api.life_circle:bp",
)


def load_blueprints(names: tuple[str, ...] = BLUEPRINTS) -> list[Blueprint]:
    """Import every listed blueprint; a listed module that is absent is skipped."""
    found = []
    for name in names:
        module_name, attr = name.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        found.append(getattr(module, attr))
    return found
