"""The browser fixtures of tests/browser/test_browser.py (``browser``, ``visit``) for every
browser test module of this folder (a module may still define its own)."""

from tests.browser.test_browser import browser, visit

__all__ = ["browser", "visit"]
