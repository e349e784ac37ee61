"""Client of registry's internal, audited contact API (the only way we learn a name or phone).

Registry answers only service tokens holding `contacts:read` (notifications obtains its own
from registry's `/auth/token`, `shared.trust.ServiceTokens`); every call is written to its
audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx


class ContactGone(Exception):
    """Registry does not know the volunteer (404) or erased them (410): never retry."""


class ContactUnavailable(Exception):
    """Registry could not answer now (network, 5xx, 401/403 misconfiguration): retry later."""


@dataclass(frozen=True)
class ContactDetails:
    """A volunteer's name and addresses as registry gives them."""

    volunteer_id: uuid.UUID
    full_name: str
    phone: str | None
    email: str | None
    province_code: str


@dataclass(frozen=True)
class ContactBatch:
    """Registry's answer for many volunteers: details of those it holds, and who it cannot give."""

    found: dict[uuid.UUID, ContactDetails]
    unknown: set[uuid.UUID]
    erased: set[uuid.UUID]


BATCH_LIMIT = 500  # registry's maximum ids per POST /internal/contacts


@dataclass(frozen=True)
class OperatorContact:
    """An operator who receives the digest of a region."""

    operator_id: str
    email: str | None
    role: str
    scope: str


class RegistryContacts:
    """The HTTP client of registry's internal contact API, authenticated by `auth` (this
    service's tokens; None: no token is sent and registry refuses)."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth | None,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout_s, auth=auth, transport=transport
        )

    async def _call(self, method: str, path: str, *, gone: tuple[int, ...] = (), **kw: Any) -> Any:
        try:
            answer = await self._client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise ContactUnavailable(f"registry unreachable: {type(exc).__name__}") from exc
        if answer.status_code in gone:
            raise ContactGone(f"registry answered {answer.status_code}")
        if answer.status_code != 200:
            raise ContactUnavailable(f"registry answered {answer.status_code}")
        return answer.json()

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self._call("GET", path, gone=(404, 410), params=params)

    async def volunteer(self, volunteer_id: uuid.UUID) -> ContactDetails:
        """One volunteer's contact (ContactGone if unknown or erased)."""
        data = await self._get(f"/internal/volunteers/{volunteer_id}/contact")
        return _details(data)

    async def volunteers(self, volunteer_ids: list[uuid.UUID]) -> ContactBatch:
        """Contacts of many volunteers, one call per 500 (registry audits each id it is asked).

        Any failure (network, 5xx, 401/403, an older registry without the endpoint) raises
        ContactUnavailable for all of them: nothing is known to be gone.
        """
        batch = ContactBatch({}, set(), set())
        ids = list(dict.fromkeys(volunteer_ids))
        for start in range(0, len(ids), BATCH_LIMIT):
            chunk = [str(i) for i in ids[start : start + BATCH_LIMIT]]
            data = await self._call("POST", "/internal/contacts", json={"volunteer_ids": chunk})
            for c in data["contacts"]:
                details = _details(c)
                batch.found[details.volunteer_id] = details
            batch.unknown.update(uuid.UUID(str(i)) for i in data["unknown"])
            batch.erased.update(uuid.UUID(str(i)) for i in data["erased"])
        return batch

    async def operators(self, region: str) -> list[OperatorContact]:
        """The operators whose scope covers the region."""
        data = await self._get("/internal/operators", params={"region": region})
        return [
            OperatorContact(
                operator_id=str(o["operator_id"]),
                email=o.get("email"),
                role=str(o.get("role", "")),
                scope=str(o.get("scope", "")),
            )
            for o in data
        ]

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


def _details(data: dict[str, Any]) -> ContactDetails:
    return ContactDetails(
        volunteer_id=uuid.UUID(str(data["volunteer_id"])),
        full_name=data.get("full_name") or "",
        phone=data.get("phone"),
        email=data.get("email"),
        province_code=str(data.get("province_code") or "")[:2],
    )
