"""The AsyncAPI document of a service: the topics it publishes and consumes."""

from __future__ import annotations

from faststream.specification import AsyncAPI

from shared.runtime import Runtime


def asyncapi_document(runtime: Runtime, *, title: str, version: str, description: str) -> AsyncAPI:
    """The service's AsyncAPI document, built from its broker's publishers and subscribers."""
    return AsyncAPI(runtime.broker, title=title, version=version, description=description)
