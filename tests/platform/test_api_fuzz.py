"""schemathesis over the whole OpenAPI: no server error and no status the document does not list.

Every operation gets a bounded number of generated requests, valid ones (that fit the schema)
and invalid ones (that do not), on a small shop so the requests reach real code paths. The
REST operations use a key with every scope; the tracking operations a source's write key.
"""

from __future__ import annotations

import base64
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from omnicanal.api.app import create_app
from omnicanal.platform.auth import SCOPES
from omnicanal.tracking import service as tracking
from tests.builders import make_key, make_location, make_product, receive

pytestmark = pytest.mark.slow

# Per operation and per mode (valid, invalid): the whole run stays around a minute on SQLite.
EXAMPLES = int(os.environ.get("OMNICANAL_TEST_FUZZ_EXAMPLES", "8"))
TRACKING_TAG = "tracking"


def _shop(platform):  # type: ignore[no-untyped-def]
    """Two stores with stock of one product, a key with every scope and a write key."""
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01", latitude=48.8566, longitude=2.3522, city="Paris")
    (sku,) = make_product(platform, "CHEMISE-LIN")
    receive(platform, sku, "LYON-01", 50)
    receive(platform, sku, "PARIS-01", 50)
    token = make_key(platform, "web", scopes=sorted(SCOPES))
    with platform.db.transaction() as session:
        _, write_key = tracking.create_source(session, kind=tracking.SourceKind.web, name="fuzz")
    basic = base64.b64encode(f"{write_key}:".encode()).decode()
    return {"Authorization": f"Bearer {token}"}, {"Authorization": f"Basic {basic}"}


def _failures_of(operation, headers):  # type: ignore[no-untyped-def]
    """The check failures of ``EXAMPLES`` valid and invalid requests to one operation."""
    failures = []
    for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def probe(case):  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            case.validate_response(
                response,
                checks=[not_a_server_error, status_code_conformance],
                headers=headers,
            )

        try:
            probe()
        except Unsatisfiable:
            # Nothing in the operation can be made invalid (no parameter, no body).
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.path
        except (Exception, BaseExceptionGroup) as error:  # reported with its operation
            failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {error}")
    return failures


def test_generated_requests_get_no_server_error_and_only_documented_statuses(platform):
    """Valid and invalid requests to every operation answer a status their operation lists."""
    rest, write = _shop(platform)
    app = create_app(platform, background=False)
    app.openapi()  # built and cached here, not under the schema loader's timeout
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        headers = write if TRACKING_TAG in (operation.tags or []) else rest
        failures.extend(_failures_of(operation, headers))

    assert operations >= 70
    assert failures == [], "\n\n".join(failures)
