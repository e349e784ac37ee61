"""ACLs on a secured local broker (SASL/SCRAM-SHA-512 and the StandardAuthorizer).

`create_acls` loads users.yaml's model (via `strimzi_acl_bindings`) in one request;
`client_kwargs` connects aiokafka clients to a `KafkaBroker` as any of its users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.admin import CreateAclsRequest, CreateAclsRequest_v1, DescribeAclsRequest

from tools.broker import KafkaBroker, ScramUser

#: Kafka's wire codes (org.apache.kafka.common.resource / .acl), by the names Strimzi uses.
_RESOURCE_TYPES = {"any": 1, "topic": 2, "group": 3, "cluster": 4, "transactionalId": 5}
_PATTERN_TYPES = {"any": 1, "literal": 3, "prefix": 4}
_OPERATIONS = {
    "Any": 1,
    "All": 2,
    "Read": 3,
    "Write": 4,
    "Create": 5,
    "Delete": 6,
    "Alter": 7,
    "Describe": 8,
    "ClusterAction": 9,
    "DescribeConfigs": 10,
    "AlterConfigs": 11,
    "IdempotentWrite": 12,
}
_ALLOW = 3
_ANY = 1


@dataclass(frozen=True)
class AclBinding:
    """One ALLOW rule: `principal` (e.g. "User:registry") may do `operation` on a resource."""

    principal: str
    resource_type: str  # "topic", "group", "cluster", "transactionalId"
    name: str
    operation: str  # "Read", "Write", "Describe", "Create", "IdempotentWrite", …
    pattern: str = "literal"  # or "prefix"
    host: str = "*"


def strimzi_acl_bindings(user: str, acls: list[dict[str, object]]) -> list[AclBinding]:
    """The bindings a Strimzi KafkaUser's `spec.authorization.acls` (type simple) stands for."""
    out = []
    for acl in acls:
        resource = acl["resource"]
        assert isinstance(resource, dict)
        operations = acl.get("operations") or [acl["operation"]]
        assert isinstance(operations, list)
        for operation in operations:
            out.append(
                AclBinding(
                    principal=f"User:{user}",
                    resource_type=str(resource["type"]),
                    name=str(resource.get("name", "kafka-cluster")),
                    operation=str(operation),
                    pattern=str(resource.get("patternType", "literal")),
                    host=str(acl.get("host", "*")),
                )
            )
    return out


def client_kwargs(broker: KafkaBroker, user: ScramUser | None = None) -> dict[str, object]:
    """aiokafka connection arguments for `user` (default: the super user) on `broker`."""
    kwargs: dict[str, object] = {"bootstrap_servers": broker.bootstrap}
    if broker.secured:
        user = user or broker.scram_users[0]
        kwargs |= {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": user.name,
            "sasl_plain_password": user.password,
        }
    return kwargs


async def create_acls(broker: KafkaBroker, bindings: list[AclBinding]) -> None:
    """Create `bindings` as the super user, in one CreateAcls request (no JVM started).

    Why not `kafka.admin.AclCommand`: each run starts a JVM (1–2 s and a core); aiokafka
    ships the CreateAcls protocol but no admin method for it, so the request is sent here.
    """
    if not bindings:
        return
    response = await _send(broker, _CreateAclsBatch(bindings))
    failed = [
        f"{b}: error {code} {message}"
        for b, (code, message) in zip(bindings, response.creation_responses, strict=True)
        if code != 0
    ]
    if failed:
        raise RuntimeError("CreateAcls refused: " + "; ".join(failed))


async def describe_acls(broker: KafkaBroker) -> set[AclBinding]:
    """Every ALLOW binding the broker holds, read as the super user."""
    request = DescribeAclsRequest(_ANY, None, _ANY, None, None, _ANY, _ANY)
    response = await _send(broker, request)
    if response.error_code:
        raise RuntimeError(f"DescribeAcls: error {response.error_code} {response.error_message}")
    types = {v: k for k, v in _RESOURCE_TYPES.items()}
    patterns = {v: k for k, v in _PATTERN_TYPES.items()}
    operations = {v: k for k, v in _OPERATIONS.items()}
    return {
        AclBinding(
            principal=principal,
            resource_type=types[resource_type],
            name=name,
            operation=operations[operation],
            pattern=patterns[pattern],
            host=host,
        )
        for resource_type, name, pattern, acls in response.resources
        for principal, host, operation, permission in acls
        if permission == _ALLOW
    }


async def _send(broker: KafkaBroker, request: Any) -> Any:
    client = AIOKafkaClient(**client_kwargs(broker))
    await client.bootstrap()
    try:
        return await client.send(client.get_random_node(), request)
    finally:
        await client.close()


class _CreateAclsBatch(CreateAclsRequest):  # type: ignore[misc]  # aiokafka ships no types
    """aiokafka's CreateAclsRequest carries one binding; this one carries many at once."""

    def __init__(self, bindings: list[AclBinding]) -> None:
        self._bindings = bindings

    def build(self, request_struct_class: type[Any]) -> Any:
        if request_struct_class is not CreateAclsRequest_v1:
            raise RuntimeError("the broker does not speak CreateAcls v1 (Kafka 2.0 or newer)")
        return CreateAclsRequest_v1(
            [
                (
                    _RESOURCE_TYPES[b.resource_type],
                    b.name,
                    _PATTERN_TYPES[b.pattern],
                    b.principal,
                    b.host,
                    _OPERATIONS[b.operation],
                    _ALLOW,
                )
                for b in self._bindings
            ]
        )
