"""NIK keys with ids: rotation keeps every stored NIK readable and findable, and
`registry rekey` moves every row to the active keys (chunked, idempotent, resumable)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr, ValidationError
from sqlalchemy import select, text
from sqlmodel import col
from typer.testing import CliRunner

from services.registry.config import Settings
from services.registry.db.tables import Volunteer
from services.registry.nik_vault import NikVault, UnknownNikKey
from services.registry.service.rekey import RekeyTally, _rewrite, rekey
from shared.db import make_engine, make_sessionmaker
from shared.secrets import DEVELOPMENT_KEY
from tests.builders import make_nik, volunteer_payload
from tests.registry.helpers import NATIONAL, registry_http
from tests.support import migrate

SAMPLE = Path(__file__).resolve().parents[2] / "bench/samples/ntb-sample.csv"
OLD_ENC, OLD_HASH = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
NEW_ENC, NEW_HASH = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
BEFORE = {
    "nik_encryption_key": OLD_ENC,
    "nik_encryption_key_id": "k1",
    "nik_hash_key": OLD_HASH,
    "nik_hash_key_id": "h1",
}
#: the rotation: new active keys, the old ones still read
AFTER = {
    "nik_encryption_key": NEW_ENC,
    "nik_encryption_key_id": "k2",
    "nik_previous_encryption_keys": {"k1": OLD_ENC},
    "nik_hash_key": NEW_HASH,
    "nik_hash_key_id": "h2",
    "nik_previous_hash_keys": {"h1": OLD_HASH},
}


def vault(**keys: Any) -> NikVault:
    return NikVault(Settings(database_url="sqlite://", **keys))


def version_1(nik: str, *, enc: str = DEVELOPMENT_KEY, hash_key: str = DEVELOPMENT_KEY):
    """A NIK as registry stored it before key ids: unprefixed ciphertext, bare hash."""
    aead = AESGCM(hashlib.sha256(b"enc:" + enc.encode()).digest())
    nonce = os.urandom(12)
    token = base64.b64encode(nonce + aead.encrypt(nonce, nik.encode(), b"psm-registry-nik-v1"))
    mac = hmac.digest(hashlib.sha256(b"hash:" + hash_key.encode()).digest(), nik.encode(), "sha256")
    return token.decode(), mac.hex()


def test_ciphertext_and_hash_carry_the_active_key_ids():
    v, nik = vault(**BEFORE), make_nik()
    assert v.encrypt(nik).startswith("v2:k1:")
    assert v.hash(nik).startswith("h1:") and len(v.hash(nik)) == len("h1:") + 64
    assert v.decrypt(v.encrypt(nik)) == nik
    assert v.encrypt(nik) != v.encrypt(nik), "a fresh nonce each time"


def test_a_nik_encrypted_before_a_rotation_is_read_after_it():
    nik = make_nik()
    stored = vault(**BEFORE).encrypt(nik)
    assert vault(**AFTER).decrypt(stored) == nik
    assert vault(**AFTER).encrypt(nik).startswith("v2:k2:")


def test_a_key_removed_too_early_is_named_by_its_id_only():
    stored = vault(**BEFORE).encrypt(make_nik())
    with pytest.raises(UnknownNikKey, match="'k1'") as caught:
        vault(**{**AFTER, "nik_previous_encryption_keys": {}}).decrypt(stored)
    assert OLD_ENC not in str(caught.value)


def test_values_stored_before_key_ids_stay_readable_and_findable():
    nik = make_nik()
    token, bare = version_1(nik, enc=OLD_ENC, hash_key=OLD_HASH)
    rotated = vault(**AFTER)
    assert rotated.decrypt(token) == nik
    assert bare in rotated.lookup_hashes(nik)
    assert rotated.lookup_hashes(nik)[0] == rotated.hash(nik), "the active key's first"
    assert not rotated.is_current(token, rotated.hash(nik))


def test_a_previous_key_under_the_active_id_is_refused():
    with pytest.raises(ValidationError, match="active key id 'k1'") as caught:
        Settings(
            database_url="sqlite://", **{**BEFORE, "nik_previous_encryption_keys": {"k1": NEW_ENC}}
        )
    assert NEW_ENC not in str(caught.value)
    with pytest.raises(ValidationError, match="key id"):
        Settings(database_url="sqlite://", nik_previous_hash_keys={"h:1": SecretStr(NEW_HASH)})


async def _register(database_url: str, keys: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """`count` new volunteers registered with `keys`: their bodies and (key "id") ids."""
    async with registry_http(database_url, **keys) as reg:
        registered = []
        for _ in range(count):
            body = volunteer_payload()
            r = await reg.post("/volunteers", NATIONAL, json=body)
            assert r.status_code == 201, r.text
            registered.append({**body, "id": r.json()["id"]})
        return registered


def _again(registered: dict[str, Any]) -> dict[str, Any]:
    """The same person registered a second time (another name, the same NIK)."""
    return {k: v for k, v in registered.items() if k != "id"} | {"full_name": "Other"}


async def test_a_nik_registered_under_the_previous_hash_key_is_still_a_duplicate(database_url):
    [first] = await _register(database_url, BEFORE, 1)
    async with registry_http(database_url, **AFTER) as reg:
        again = await reg.post("/volunteers", NATIONAL, json=_again(first))
        assert again.status_code == 409, again.text
        assert again.json()["existing_id"] == first["id"]
        shown = await reg.get(f"/volunteers/{first['id']}?reveal_nik=true", NATIONAL)
        assert shown.json()["nik"] == first["nik"], "still decrypted with the previous key"


async def test_an_import_finds_niks_registered_under_the_previous_hash_key(database_url):
    async with registry_http(database_url, **BEFORE) as reg:
        first = (
            await reg.post("/volunteers/imports", NATIONAL, content=SAMPLE.read_bytes())
        ).json()
    async with registry_http(database_url, **AFTER) as reg:
        again = (
            await reg.post("/volunteers/imports", NATIONAL, content=SAMPLE.read_bytes())
        ).json()
        [(count,)] = await reg.sql("SELECT count(*) FROM volunteers")
    assert first["imported"] == count == 40
    assert (again["imported"], again["duplicates"]) == (0, first["duplicates"] + 40)


async def _stored(database_url: str) -> list[tuple[str, str, str]]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT id, nik_encrypted, nik_hash FROM volunteers"))
            return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        await engine.dispose()


async def _rekey(database_url: str, keys: dict[str, Any], **kw: Any):
    engine = make_engine(database_url)
    try:
        return await rekey(make_sessionmaker(engine), vault(**keys), **kw)
    finally:
        await engine.dispose()


async def test_rekey_moves_every_row_to_the_active_keys_and_lookups_keep_working(
    database_url,
):
    bodies = await _register(database_url, BEFORE, 5)
    await _insert_version_1(database_url, OLD_ENC, OLD_HASH)
    tally = await _rekey(database_url, AFTER, chunk_size=2)
    assert (tally.examined, tally.rewritten, tally.complete) == (6, 6, True)
    assert tally.found == {("k1", "h1"): 5, ("v1", "v1"): 1}
    rotated = vault(**AFTER)
    stored = await _stored(database_url)
    assert all(e.startswith("v2:k2:") and h.startswith("h2:") for _, e, h in stored)
    assert all(rotated.hash(rotated.decrypt(e)) == h for _, e, h in stored)
    again = await _rekey(database_url, AFTER, chunk_size=2)
    assert (again.examined, again.rewritten) == (0, 0), "idempotent"
    # after the re-key the old keys can go: every NIK is found and read with the new ones
    only_new = {k: v for k, v in AFTER.items() if not k.startswith("nik_previous")}
    async with registry_http(database_url, **only_new) as reg:
        r = await reg.post("/volunteers", NATIONAL, json=_again(bodies[0]))
        assert r.status_code == 409 and r.json()["existing_id"] == bodies[0]["id"]


async def test_rekey_resumes_where_an_interrupted_run_stopped(database_url):
    await _register(database_url, BEFORE, 5)

    def stop_after_first_chunk(n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await _rekey(database_url, AFTER, chunk_size=2, progress=stop_after_first_chunk)
    moved = [e for _, e, _ in await _stored(database_url) if e.startswith("v2:k2:")]
    assert len(moved) == 2, "the first chunk committed"
    tally = await _rekey(database_url, AFTER, chunk_size=2)
    assert (tally.examined, tally.rewritten) == (3, 3)


async def test_rekey_leaves_a_row_the_service_changed_meanwhile(database_url):
    await _register(database_url, BEFORE, 1)
    [(_, encrypted, nik_hash)] = await _stored(database_url)
    rotated = vault(**AFTER)
    nik = rotated.decrypt(encrypted)
    corrected = (rotated.encrypt(nik), rotated.hash(nik))  # as the service writes it
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE volunteers SET nik_encrypted = :e, nik_hash = :h"),
                {"e": corrected[0], "h": corrected[1]},
            )
        async with make_sessionmaker(engine)() as session, session.begin():
            tally = RekeyTally()
            row_id = (await session.execute(select(col(Volunteer.id)))).scalar_one()
            # what the re-key read before the service's correction, written after it
            await _rewrite(session, rotated, [(row_id, encrypted, nik_hash)], tally)
    finally:
        await engine.dispose()
    assert (tally.rewritten, tally.changed) == (0, 1)
    assert [(e, h) for _, e, h in await _stored(database_url)] == [corrected]


async def test_rekey_reports_rows_under_a_key_that_is_not_configured(database_url):
    await _register(database_url, BEFORE, 2)
    without_k1 = {**AFTER, "nik_previous_encryption_keys": {}}
    tally = await _rekey(database_url, without_k1)
    assert (tally.unreadable, tally.rewritten, tally.complete) == (2, 0, False)


async def _insert_version_1(database_url: str, enc: str, hash_key: str) -> str:
    """One volunteer as stored before key ids (registered, then its NIK columns rewritten
    the way the old code wrote them)."""
    [body] = await _register(database_url, BEFORE, 1)
    token, bare = version_1(body["nik"], enc=enc, hash_key=hash_key)
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE volunteers SET nik_encrypted = :e, nik_hash = :h WHERE nik_hash = :o"),
                {"e": token, "h": bare, "o": vault(**BEFORE).hash(body["nik"])},
            )
    finally:
        await engine.dispose()
    return str(body["id"])


def test_the_rekey_command_on_a_sqlite_database(tmp_path, monkeypatch):
    from tools.cli import app

    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    asyncio.run(migrate("registry", url))
    asyncio.run(_register(url, BEFORE, 3))
    for name, value in {**AFTER, "database_url": url}.items():
        env = value if isinstance(value, str) else json.dumps(value)
        monkeypatch.setenv(f"REGISTRY_{name.upper()}", env)
    runner = CliRunner()
    dry = runner.invoke(app, ["registry", "rekey", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "rows under older keys: 3 (3 under k1/h1)" in dry.output
    assert all(e.startswith("v2:k1:") for _, e, _ in asyncio.run(_stored(url)))
    done = runner.invoke(app, ["registry", "rekey", "--chunk-size", "2"])
    assert done.exit_code == 0, done.output
    assert "rewritten 3" in done.output
    assert OLD_ENC not in done.output and NEW_ENC not in done.output
    stored = asyncio.run(_stored(url))
    assert all(e.startswith("v2:k2:") and h.startswith("h2:") for _, e, h in stored)
    assert "rows under older keys: 0" in runner.invoke(app, ["registry", "rekey"]).output


def _nik_checks_in_production(**keys: Any) -> str:
    """The NIK key checks of a production configuration (the rest of it is another test's)."""
    settings = Settings(database_url="sqlite://", **keys)
    with pytest.raises(ValueError) as caught:
        settings.model_copy(update={"environment": "production"})._check_nik_keys()
    return str(caught.value)


def test_production_refuses_weak_or_repeated_nik_keys_naming_them_not_quoting_them():
    message = _nik_checks_in_production(**{**AFTER, "nik_previous_hash_keys": {"h1": "a" * 40}})
    assert "nik_previous_hash_keys[h1] (REGISTRY_NIK_PREVIOUS_HASH_KEYS) has fewer" in message
    assert "a" * 40 not in message
    message = _nik_checks_in_production(nik_encryption_key=DEVELOPMENT_KEY, nik_hash_key=NEW_HASH)
    assert "nik_encryption_key (REGISTRY_NIK_ENCRYPTION_KEY) is a known" in message
    message = _nik_checks_in_production(**{**AFTER, "nik_hash_key": OLD_ENC})
    assert "must all differ" in message and OLD_ENC not in message


def test_a_nik_key_is_read_from_a_secret_file(tmp_path):
    (tmp_path / "registry_nik_encryption_key").write_text(NEW_ENC)
    (tmp_path / "registry_nik_encryption_key_id").write_text("k2")
    (tmp_path / "REGISTRY_NIK_PREVIOUS_ENCRYPTION_KEYS").write_text(json.dumps({"k1": OLD_ENC}))
    settings = Settings(database_url="sqlite://", _secrets_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.nik_encryption_key.get_secret_value() == NEW_ENC
    assert settings.nik_previous_encryption_keys["k1"].get_secret_value() == OLD_ENC
