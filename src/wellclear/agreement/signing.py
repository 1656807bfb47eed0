"""Ed25519 keys and signatures of the agreement's workflow (RFC 8032, the ``cryptography``
package): a party's private key stays in its PEM file (PKCS #8); its public key is written in
the agreement (``parties[].key``) as the 32 raw bytes in base64."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(ValueError):
    """A key file that cannot be read as an Ed25519 private key (names the file)."""


def generate() -> Ed25519PrivateKey:
    """A new private key."""
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    """The private key as an unencrypted PKCS #8 PEM file's bytes."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private(path: Path) -> Ed25519PrivateKey:
    """The private key of the PEM file ``path``."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as err:
        raise SigningKeyError(f"{path}: {err.strerror}") from None
    except (ValueError, TypeError) as err:
        raise SigningKeyError(f"{path}: not an unencrypted PEM private key ({err})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: a {type(key).__name__}, not an Ed25519 key")
    return key


def public_b64(key: Ed25519PrivateKey) -> str:
    """The public key as the agreement writes it (base64 of the 32 raw bytes)."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """The signature of ``message``, base64."""
    return base64.b64encode(key.sign(message)).decode("ascii")


def verify(public: str, signature: str, message: bytes) -> bool:
    """Whether ``signature`` (base64) is ``public``'s signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
            base64.b64decode(signature, validate=True), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True
