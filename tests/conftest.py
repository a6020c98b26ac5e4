"""The fixture modules, registered once for the whole suite (see tests/README.md).

pytest reads ``pytest_plugins`` only in this top-level conftest.  A test folder's own
``conftest.py`` holds the fixtures of that folder alone; names and helpers the tests import
come from plain modules (``tests/helpers.py``, ``tests/upload/corpus.py``, ...).
"""

from hypothesis import settings

pytest_plugins = [
    "tests.fixtures.data",
    "tests.fixtures.web",
    "tests.fixtures.postgres",
]

# A failing property test prints the exact case to replay (``@reproduce_failure(...)``):
# hypothesis 6.170 prints the failing arguments' values blank, so two random failures in CI
# could not be replayed from their output.
settings.register_profile("baicheng", print_blob=True)
settings.load_profile("baicheng")
