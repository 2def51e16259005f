"""Start and stop the test OpenID provider as a separate process (used by the tests' fixtures)."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "opendmc"


@dataclass
class Provider:
    """A running provider: its issuer, the client OpenDMC is registered as, its process."""

    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen = field(repr=False)

    def stop(self) -> None:
        """Terminate the provider's process and wait for it."""
        self.process.terminate()
        self.process.wait(timeout=30)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_provider(
    directory: Path,
    *,
    redirect_uris: list[str],
    accounts: dict,
    post_logout_redirect_uris: list[str] = (),
    rp_logout: bool = True,
) -> Provider:
    """Start a provider with keys of its own, the OpenDMC client and these accounts; wait for it.

    ``rp_logout=False``: a provider without RP-Initiated Logout (no end_session_endpoint)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("signing-key.pem", "foreign-key.pem"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (directory / name).write_bytes(_pem(key))
    secret = secrets.token_urlsafe(32)
    (directory / "client.json").write_text(
        json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": secret,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": list(post_logout_redirect_uris),
            }
        )
    )
    (directory / "accounts.json").write_text(json.dumps(accounts))
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    env = {
        **os.environ,
        "OIDC_PROVIDER_DIR": str(directory),
        "OIDC_PROVIDER_SECRET": secrets.token_urlsafe(32),
        "OIDC_PROVIDER_ISSUER": issuer,
        "OIDC_PROVIDER_RP_LOGOUT": "1" if rp_logout else "0",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (directory / "provider.log").open("w")
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and module
        [sys.executable, "-m", "tests.oidc_provider", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    provider = Provider(issuer=issuer, client_id=CLIENT_ID, client_secret=secret, process=process)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration") as answer:  # noqa: S310
                if answer.status == 200:
                    return provider
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            provider.stop()
            raise RuntimeError(
                f"the test provider did not start: {(directory / 'provider.log').read_text()}"
            )
        time.sleep(0.2)
