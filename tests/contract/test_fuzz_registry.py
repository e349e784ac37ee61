"""registry's HTTP contract under schemathesis: no server error, no answer outside its schema."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig

from services.registry.domain.enums import VolunteerStatus
from services.registry.service import lifecycle, volunteers
from services.registry.service.access import Actor
from services.registry.service.drafts import VolunteerDraft
from services.registry.service.imports import Importer
from services.registry.service.spreadsheets import SheetRow
from shared.auth import Role, mint_token
from tests.builders import volunteer_payload
from tests.contract.fuzz import FUZZ_SETTINGS, FuzzTarget, openapi_of, serve

# Rules the schema cannot state, answered 422 naming the field for schema-valid input: a
# NIK's province, regency and birth date must exist, the person must be 18, a village must
# be in the Kemendagri dataset, an uploaded file must be a CSV/XLSX with the header row.
DATA_RULES = ["2xx", "401", "403", "404", "409", "410", "422", "429"]
_RULED = (
    "POST /volunteers",
    "PATCH /volunteers/{volunteer_id}",
    "POST /volunteers/{volunteer_id}/transfers",
    "POST /volunteers/imports",
)
# 410 answers the erasure of a seeded volunteer the fuzzer itself erased earlier.
_GONE = ["2xx", "401", "403", "404", "409", "410", "429"]
config = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": DATA_RULES}},
            }
            for name in _RULED
        ]
        + [
            {
                "include-name": "POST /volunteers/{volunteer_id}/erasure",
                "checks": {"positive_data_acceptance": {"expected-statuses": _GONE}},
            }
        ]
    }
)
schema = schemathesis.openapi.from_dict(openapi_of("registry"), config=config)
# False positives of the harness, not of the service: the fixture always sends a token (a
# "request without Authorization" goes out with one), and OpenAPI cannot declare a closed
# query string (an unknown parameter is ignored, as by every FastAPI service).
schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)

SEEDED: dict[str, list[uuid.UUID]] = {"volunteer_id": [], "import_id": [], "erasable": []}
_turn = itertools.count()


async def seed_register(app: FastAPI) -> None:
    """Realistic rows, so ids in paths exist and the use-cases behind them run: candidates
    (one with recommendations and a decree, one passed Bimtek dasar and active, one a
    woman), and an import with a valid and an invalid row."""
    state = app.state.service
    admin = Actor("fuzz@test", "national_admin", "national")
    now, today = state.clock.now(), state.clock.today()
    recommended = {
        "recommendations": {
            "village_head": {"name": "Lurah Depok", "date": "2024-01-10"},
            "ipsm": {"name": "IPSM Depok", "date": "2024-01-11"},
        },
        "decree": {"number": "SK-1/2024", "date": "2024-02-01", "issuer": "Dinas Sosial Depok"},
    }
    bodies = [volunteer_payload(), volunteer_payload(**recommended), volunteer_payload(female=True)]
    bodies += [volunteer_payload() for _ in range(4)]
    async with state.runtime.sessionmaker() as session, session.begin():
        for body in bodies:
            v = await volunteers.register_volunteer(
                session,
                VolunteerDraft.model_validate(body),
                actor=admin,
                vault=state.vault,
                now=now,
                today=today,
            )
            SEEDED["volunteer_id"].append(v.id)
        v.dasar_passed_at = now
        await lifecycle.change_status(
            session,
            v,
            VolunteerStatus.ACTIVE,
            actor=admin,
            settings=state.registry_settings,
            now=now,
        )
    # Only the erasure takes these two: the others stay readable and changeable throughout.
    SEEDED["erasable"] = SEEDED["volunteer_id"][-3:-1]
    del SEEDED["volunteer_id"][-3:-1]
    valid = {k: v for k, v in volunteer_payload().items() if k != "consents"}
    rows = [
        SheetRow(2, valid),
        SheetRow(3, {"nik": "123", "full_name": "X", "birth_date": "1990-01-01", "sex": "L"}),
    ]
    importer = Importer(
        state.runtime.sessionmaker,
        actor=admin,
        vault=state.vault,
        settings=state.registry_settings,
        clock=state.clock,
    )
    SEEDED["import_id"].append((await importer.run(rows, filename="seed.csv")).id)


@pytest.fixture(scope="module")
def registry_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with serve("registry", tmp_path_factory.mktemp("fuzz-registry"), prepare=seed_register) as t:
        yield t


def _use_seeded_ids(case: schemathesis.Case) -> None:
    """A generated id that is a well-formed UUID becomes a seeded one, so more code runs."""
    params = case.path_parameters or {}
    for name in ("volunteer_id", "import_id"):
        ids = SEEDED["erasable" if case.path.endswith("/erasure") else name]
        if name in params and ids:
            try:
                uuid.UUID(str(params[name]))
            except ValueError:
                continue
            params[name] = str(ids[next(_turn) % len(ids)])


@schema.parametrize()
@FUZZ_SETTINGS
def test_registry_answers_generated_requests_within_its_contract(
    case: schemathesis.Case, registry_target: FuzzTarget
) -> None:
    _use_seeded_ids(case)
    headers = registry_target.headers
    if case.path.startswith("/internal/"):
        # The internal API answers platform services only; an admin would get 403 throughout.
        settings = registry_target.app.state.settings
        token = mint_token(settings, subject="notifications", role=Role.SERVICE, scope="national")
        headers = {"Authorization": f"Bearer {token}"}
    case.call_and_validate(base_url=registry_target.base_url, headers=headers)
