"""notifications's HTTP contract under schemathesis: no server error, no answer outside its schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from tests.contract.fuzz import FUZZ_SETTINGS, FuzzTarget, openapi_of, serve

schema = schemathesis.openapi.from_dict(openapi_of("notifications"))


@pytest.fixture(scope="module")
def notifications_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with serve("notifications", tmp_path_factory.mktemp("fuzz-notifications")) as target:
        yield target


@schema.parametrize()
@FUZZ_SETTINGS
def test_notifications_answers_generated_requests_within_its_contract(
    case: schemathesis.Case, notifications_target: FuzzTarget
) -> None:
    case.call_and_validate(base_url=notifications_target.base_url, headers=notifications_target.headers)
