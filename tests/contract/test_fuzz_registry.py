"""registry's HTTP contract under schemathesis: no server error, no answer outside its schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from tests.contract.fuzz import FUZZ_SETTINGS, FuzzTarget, openapi_of, serve

schema = schemathesis.openapi.from_dict(openapi_of("registry"))


@pytest.fixture(scope="module")
def registry_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with serve("registry", tmp_path_factory.mktemp("fuzz-registry")) as target:
        yield target


@schema.parametrize()
@FUZZ_SETTINGS
def test_registry_answers_generated_requests_within_its_contract(
    case: schemathesis.Case, registry_target: FuzzTarget
) -> None:
    case.call_and_validate(base_url=registry_target.base_url, headers=registry_target.headers)
