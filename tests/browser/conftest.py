"""The browser fixtures of tests/browser/test_browser.py (``browser``, ``visit``) for every
browser test module of this folder (a module may still define its own), and the ``browser``
mark on every test here, so ``-m "not browser"`` (``make test-future``) leaves them all out."""

from pathlib import Path

import pytest

from tests.browser.test_browser import browser, visit

__all__ = ["browser", "visit"]
HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``browser`` (two modules had forgotten to)."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
