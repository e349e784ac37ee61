"""Development token secrets: registry's signing key and each service's client secret.

`make run` (tools.stack) generates them once into `<var>/secrets/` (PSM_VAR_DIR; files of
mode 0600) and hands them to the processes; `python -m tools.cli token mint` signs with the
same key file, so its tokens are good at the running stack. Values already in the
environment (`REGISTRY_SIGNING_KEYS`, `REGISTRY_SERVICE_CLIENT_SECRETS`) win: the test
suite sets its own.

Development only: production keys come from the secret store (see deploy/).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from shared.identity import SigningKey, TokenIssuer

#: the services that obtain tokens with client credentials
CLIENTS = ("training", "notifications")
ISSUER = "psm-registry"


def _secret_file(path: Path, make: bytes) -> bytes:
    """The file's content, written first (mode 0600, never group/world readable) if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(make)
    return path.read_bytes()


def signing_key_pem(var_dir: Path) -> str:
    """Registry's signing key (PKCS#8 PEM): REGISTRY_SIGNING_KEYS, else the key file."""
    if os.environ.get("REGISTRY_SIGNING_KEYS"):
        return os.environ["REGISTRY_SIGNING_KEYS"]
    path = var_dir / "secrets" / "registry-signing-key.pem"
    return _secret_file(path, SigningKey.generate().pem()).decode()


def client_secrets(var_dir: Path) -> dict[str, str]:
    """Each service's client secret: REGISTRY_SERVICE_CLIENT_SECRETS, else the file."""
    if os.environ.get("REGISTRY_SERVICE_CLIENT_SECRETS"):
        return dict(json.loads(os.environ["REGISTRY_SERVICE_CLIENT_SECRETS"]))
    path = var_dir / "secrets" / "service-client-secrets.json"
    fresh = json.dumps({name: secrets.token_urlsafe(32) for name in CLIENTS}).encode()
    return dict(json.loads(_secret_file(path, fresh)))


def issuer(var_dir: Path) -> TokenIssuer:
    """A token issuer with the stack's signing key (the first key of the file signs)."""
    pem = signing_key_pem(var_dir)
    first = pem.split("-----END PRIVATE KEY-----")[0] + "-----END PRIVATE KEY-----\n"
    return TokenIssuer([SigningKey.from_pem(first)], issuer=ISSUER)


def console_session_secret(var_dir: Path) -> str:
    """The console's session-cookie key: CONSOLE_SESSION_SECRET, else the file."""
    if os.environ.get("CONSOLE_SESSION_SECRET"):
        return os.environ["CONSOLE_SESSION_SECRET"]
    path = var_dir / "secrets" / "console-session-secret"
    return _secret_file(path, secrets.token_urlsafe(32).encode()).decode()


def stack_env(service: str, var_dir: Path, registry_url: str) -> dict[str, str]:
    """The token settings of one service's process in the stack."""
    if service == "console":
        return {"CONSOLE_SESSION_SECRET": console_session_secret(var_dir)}
    clients = client_secrets(var_dir)
    if service == "registry":
        return {
            "REGISTRY_SIGNING_KEYS": signing_key_pem(var_dir),
            "REGISTRY_SERVICE_CLIENT_SECRETS": json.dumps(clients),
        }
    prefix = service.upper()
    return {
        f"{prefix}_JWKS_URL": f"{registry_url}/.well-known/jwks.json",
        f"{prefix}_REVOCATIONS_URL": f"{registry_url}/internal/revocations",
        f"{prefix}_TOKEN_URL": f"{registry_url}/auth/token",
        f"{prefix}_SERVICE_CLIENT_SECRET": clients[service],
    }
