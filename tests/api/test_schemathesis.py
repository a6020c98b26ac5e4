"""Property-based run of the OpenAPI document against the app served on loopback: no 5xx.

Schemathesis generates requests (valid and invalid parameters) for every operation of
/api/v1/openapi.json and sends them to a werkzeug server on 127.0.0.1.  The path parameters
are drawn from real ids half of the time (the county, its layers and records) so that the
generated query parameters reach the computation; the other half are schemathesis's own.  The
number of examples per operation is bounded so the run stays short.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.helpers import DEMO_ID

MAX_EXAMPLES = 8
REAL_IDS = {
    "county_id": [DEMO_ID],
    "layer": ["roads", "parks", "population", "gap_fitness_uncovered_cells", "fitness_sites"],
    "record_id": ["SAMPLE-2024-001", "SAMPLE-2024-002"],
}


@pytest.mark.slow
def test_api_never_answers_5xx(live_server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    statuses: list[int] = []
    for operation in operations:
        real = st.fixed_dictionaries({k: st.sampled_from(v) for k, v in REAL_IDS.items()})

        @given(case=operation.as_strategy(), ids=real, use_real=st.booleans())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any, ids: dict[str, str], use_real: bool) -> None:
            if use_real and case.path_parameters:
                for name in case.path_parameters:
                    if name in ids:
                        case.path_parameters[name] = ids[name]
            response = case.call_and_validate(checks=[not_a_server_error], timeout=120)
            statuses.append(response.status_code)

        check()
    assert len(statuses) >= len(operations) * 2
    assert 200 in statuses and 400 in statuses and 404 in statuses
