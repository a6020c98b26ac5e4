"""Settings read from the environment: the one place that reads ``DATABASE_URL``.

The web app (:func:`app.default_config`), ``baicheng db import`` and ``baicheng batch`` all
call :func:`database_url`, so they pick the same database from the same variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DATABASE_URL_VARS = ("GIS_DATABASE_URL", "DATABASE_URL")


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """The PostGIS store's URL from the environment; ``""`` means the workspace folders.

    Precedence: ``GIS_DATABASE_URL`` when it is set, even to the empty string (which chooses
    the workspace folders over a ``DATABASE_URL`` the platform sets), else ``DATABASE_URL``,
    else ``""``.  A command's ``--database-url`` and the app's ``test_config`` override both.

    >>> database_url({"DATABASE_URL": "postgresql://gis@db/gis"})
    'postgresql://gis@db/gis'
    >>> database_url({"GIS_DATABASE_URL": "", "DATABASE_URL": "postgresql://gis@db/gis"})
    ''
    >>> database_url({})
    ''
    """
    env = os.environ if environ is None else environ
    for name in DATABASE_URL_VARS:
        if name in env:
            return env[name]
    return ""
