"""Schemathesis against the API's own OpenAPI document: no request it derives breaks the server."""

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance, status_code_conformance

from tests.inventory.helpers import store_state

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
#: Requests that fit the schema and requests that break it, for every operation.
cases = st.one_of(
    [
        result.ok().as_strategy(generation_mode=mode)
        for result in schema.get_all_operations()
        for mode in GenerationMode
    ]
)
#: The document lists only each operation's success, so a documented error is "undocumented";
#: and it calls ``1.0`` an integer (JSON Schema does), which the API refuses on purpose.
EXCLUDED = [status_code_conformance, positive_data_acceptance]


@hypothesis.settings(max_examples=300)
@given(case=cases)
def test_requests_derived_from_the_openapi_document_never_fail_the_server(
    case, lamp, clerk_token, settings
):
    settings.STOCKWATCH_API_WRITE_RATE = "1000000/m"
    before = store_state()

    response = case.call(headers={"Authorization": f"Bearer {clerk_token}"})

    # Not a server error, JSON as declared, and schema-breaking data refused.
    case.validate_response(response, excluded_checks=EXCLUDED)
    if response.status_code >= 400:
        assert store_state() == before
