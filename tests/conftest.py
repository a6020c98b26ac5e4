"""The fixture modules, registered once for the whole suite (see tests/README.md).

pytest reads ``pytest_plugins`` only in this top-level conftest.  A test folder's own
``conftest.py`` holds the fixtures of that folder alone; names and helpers the tests import
come from plain modules (``tests/helpers.py``, ``tests/upload/corpus.py``, ...).
"""

pytest_plugins = [
    "tests.fixtures.data",
    "tests.fixtures.web",
    "tests.fixtures.postgres",
]
