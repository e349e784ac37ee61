"""shared.auth on a real training app: the verifier learns a new key from registry's JWKS
(a real HTTP server on loopback) on the first token it signed; operator routes refuse
service tokens and tokens meant for another service; writers need a writing role."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.training.main import create_app
from shared.identity import OPERATOR_AUDIENCES, Audience, Role, SigningKey, TokenIssuer
from tests.builders import TEST_TOKEN_ISSUER, auth_headers, bearer, service_headers
from tests.notifications.helpers import serve
from tests.support import migrate, settings_for


@contextlib.asynccontextmanager
async def training(tmp_path: Path, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'training.db'}"
    await migrate("training", url)
    settings = settings_for(
        "training",
        database_url=url,
        bootstrap="127.0.0.1:1",
        **overrides,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://training") as client:
        yield client
    await app.state.runtime.engine.dispose()


async def test_a_token_of_a_newly_published_key_is_accepted_after_one_jwks_read(tmp_path):
    key = SigningKey.generate()
    published: list[SigningKey] = []
    reads: list[int] = []
    jwks = FastAPI()

    @jwks.get("/.well-known/jwks.json")
    async def document() -> object:
        reads.append(1)
        return {"keys": [k.public_jwk() for k in published]}

    issuer = TokenIssuer([key], issuer=TEST_TOKEN_ISSUER)
    token = issuer.mint(
        subject="op-1", role=Role.NATIONAL_ADMIN, scope="national", audiences=OPERATOR_AUDIENCES
    )
    async with (
        serve(jwks) as url,
        training(
            tmp_path, token_public_keys=None, jwks_url=f"{url}/.well-known/jwks.json"
        ) as client,
    ):
        refused = await client.get("/courses", headers=bearer(token))
        assert refused.status_code == 401  # the key is not published yet
        assert "kunci yang tidak dikenal" in refused.json()["detail"]  # unknown key
        published.append(key)  # registry rotates: the new key appears in its JWKS
        refused_again = await client.get("/courses", headers=bearer(token))
        assert refused_again.status_code == 401  # read less than 10 s ago: not asked again
        assert len(reads) == 1


async def test_a_rotation_is_learned_on_the_first_token_of_the_new_key(tmp_path):
    key = SigningKey.generate()
    jwks = FastAPI()

    @jwks.get("/.well-known/jwks.json")
    async def document() -> object:
        return {"keys": [key.public_jwk()]}

    token = TokenIssuer([key], issuer=TEST_TOKEN_ISSUER).mint(
        subject="op-1", role=Role.NATIONAL_ADMIN, scope="national", audiences=OPERATOR_AUDIENCES
    )
    async with (
        serve(jwks) as url,
        training(
            tmp_path, token_public_keys=None, jwks_url=f"{url}/.well-known/jwks.json"
        ) as client,
    ):
        answer = await client.get("/courses", headers=bearer(token))
        assert answer.status_code == 200, answer.text


async def test_operator_routes_refuse_service_tokens_and_other_audiences(tmp_path):
    async with training(tmp_path) as client:
        service = await client.get("/courses", headers=service_headers(audience=Audience.TRAINING))
        assert service.status_code == 403
        assert "Token layanan hanya diterima" in service.json()["detail"]
        for_registry = await client.get(
            "/courses", headers=service_headers(audience=Audience.REGISTRY)
        )
        assert for_registry.status_code == 401
        assert "audience" in for_registry.json()["detail"]
        assert (await client.get("/courses", headers=auth_headers())).status_code == 200


async def test_a_viewer_reads_but_may_not_write(tmp_path):
    viewer = auth_headers(role=Role.VIEWER, scope="32.76")
    async with training(tmp_path) as client:
        assert (await client.get("/courses", headers=viewer)).status_code == 200
        answer = await client.post("/sessions", json={}, headers=viewer)
        assert answer.status_code == 403
        assert "tidak boleh mengubah data" in answer.json()["detail"]


def test_only_a_volunteer_has_a_uuid_scope_and_it_names_the_volunteer_themself():
    import uuid

    import pytest

    from shared.identity import Revocations, TokenVerifier

    issuer = TokenIssuer([SigningKey.generate()], issuer=TEST_TOKEN_ISSUER)
    me = str(uuid.uuid4())
    with pytest.raises(ValueError):
        issuer.mint(subject="op", role=Role.REGENCY_OPERATOR, scope=me, audiences=["psm-registry"])
    with pytest.raises(ValueError):
        issuer.mint(subject=me, role=Role.VOLUNTEER, scope="32.76", audiences=["psm-registry"])
    with pytest.raises(ValueError):
        issuer.mint(
            subject=str(uuid.uuid4()), role=Role.VOLUNTEER, scope=me, audiences=["psm-registry"]
        )
    token = issuer.mint(subject=me, role=Role.VOLUNTEER, scope=me, audiences=["psm-registry"])
    verifier = TokenVerifier(
        issuer=TEST_TOKEN_ISSUER,
        audience=Audience.REGISTRY,
        keys=issuer.public_keys,
        revocations=Revocations.followed_elsewhere(),
    )
    principal = verifier.verify(token)
    assert principal.is_volunteer and principal.subject == me
    assert not principal.sees("32.76") and not principal.can_write and not principal.is_national
