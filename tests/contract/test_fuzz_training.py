"""training's HTTP contract under schemathesis: no server error, no answer outside its schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from tests.contract.fuzz import FUZZ_SETTINGS, FuzzTarget, openapi_of, serve

schema = schemathesis.openapi.from_dict(openapi_of("training"))


@pytest.fixture(scope="module")
def training_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with serve("training", tmp_path_factory.mktemp("fuzz-training")) as target:
        yield target


@schema.parametrize()
@FUZZ_SETTINGS
def test_training_answers_generated_requests_within_its_contract(
    case: schemathesis.Case, training_target: FuzzTarget
) -> None:
    case.call_and_validate(base_url=training_target.base_url, headers=training_target.headers)
