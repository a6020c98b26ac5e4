"""Where the shipped folders ``data/``, ``static/`` and ``templates/`` are.

In the source tree (a clone, or ``pip install -e .``) they are the top-level folders beside
``gis/``.  A wheel can only carry files inside packages, so ``pip install .`` puts them in
``gis/_files/<folder>`` (``[tool.setuptools.package-dir]`` in pyproject.toml maps them there).
:func:`resource_dir` looks in the installed place first, then in the source tree, so the
app and the command line find them whatever the current folder is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Folder = Literal["data", "static", "templates"]

_HERE = Path(__file__).resolve().parent
INSTALLED = _HERE / "_files"
SOURCE_TREE = _HERE.parent


def resource_dir(name: Folder) -> Path:
    """The folder ``name`` as installed from a wheel, else the one in the source tree.

    >>> resource_dir("templates").name
    'templates'
    >>> (resource_dir("data") / "README.md").is_file()
    True
    """
    installed = INSTALLED / name
    return installed if installed.is_dir() else SOURCE_TREE / name
