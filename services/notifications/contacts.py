"""Client of registry's internal, audited contact API (the only way we learn a name or phone).

Registry answers only tokens of role `service`; every call is written to its audit log.
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
    volunteer_id: uuid.UUID
    full_name: str
    phone: str | None
    email: str | None
    province_code: str


@dataclass(frozen=True)
class OperatorContact:
    operator_id: str
    email: str | None
    role: str
    scope: str


class RegistryContacts:
    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
        )

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            answer = await self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise ContactUnavailable(f"registry unreachable: {type(exc).__name__}") from exc
        if answer.status_code in (404, 410):
            raise ContactGone(f"registry answered {answer.status_code}")
        if answer.status_code != 200:
            raise ContactUnavailable(f"registry answered {answer.status_code}")
        return answer.json()

    async def volunteer(self, volunteer_id: uuid.UUID) -> ContactDetails:
        data = await self._get(f"/internal/volunteers/{volunteer_id}/contact")
        return ContactDetails(
            volunteer_id=uuid.UUID(str(data["volunteer_id"])),
            full_name=data.get("full_name") or "",
            phone=data.get("phone"),
            email=data.get("email"),
            province_code=str(data.get("province_code") or "")[:2],
        )

    async def operators(self, region: str) -> list[OperatorContact]:
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
        await self._client.aclose()
