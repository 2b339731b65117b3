"""Signed events: each topic has one owning service, and every record carries its Ed25519 signature.

The relay signs `<topic suffix>\\n<envelope bytes>` with its service's key; a consumer accepts a
record only when the envelope's `source` owns the topic, the `duban-signer` header names that same
service, and the signature verifies with that service's public key. Keys live beside the JWT keys:
`<keys dir>/events/<service>.key` (private, 0600) and `.pub`; in demo mode they are made on first use,
in production `duban keys init` (or a mounted secret) provides them.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path

from aiokafka.structs import ConsumerRecord
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from duban_shared.events import Envelope
from duban_shared.events.catalogue import DIRECTORY_TOPIC, NOTIFY_TOPIC, PLAN_TOPIC, REPORT_TOPIC, TASK_TOPIC

log = logging.getLogger(__name__)

# The only service allowed to publish on each topic (suffix of the full topic name).
TOPIC_OWNERS: dict[str, str] = {
    DIRECTORY_TOPIC: "task-svc", PLAN_TOPIC: "plan-svc", TASK_TOPIC: "task-svc", NOTIFY_TOPIC: "notify-svc", REPORT_TOPIC: "report-svc",
}
SIGNER_HEADER = "duban-signer"
SIGNATURE_HEADER = "duban-sig"
SIGNED_HEADERS = (SIGNER_HEADER, SIGNATURE_HEADER)


def key_paths(keys_dir: Path, service: str) -> tuple[Path, Path]:
    """(private, public) key files of a service's event signing key."""
    return keys_dir / "events" / f"{service}.key", keys_dir / "events" / f"{service}.pub"


def ensure_event_key(keys_dir: Path, service: str) -> Path:
    """Create the service's Ed25519 key pair once; returns the private key path."""
    from duban_shared.auth import _write_once

    priv, pub = key_paths(keys_dir, service)
    if not priv.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        _write_once(priv, pem, 0o600)
    if not pub.exists():
        loaded = serialization.load_pem_private_key(priv.read_bytes(), password=None)
        pem = loaded.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        _write_once(pub, pem, 0o644)
    return priv


def signed_bytes(topic_suffix: str, value: bytes) -> bytes:
    """What the signature covers: the topic too, so a genuine record cannot be replayed onto another topic."""
    return topic_suffix.encode() + b"\n" + value


class EventSigner:
    """Signs the records one service publishes."""

    def __init__(self, service: str, private_key_pem: bytes, topic_prefix: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise TypeError("event signing key must be Ed25519")
        self.service = service
        self.key = key
        self.prefix = topic_prefix + "."

    def headers(self, topic: str, value: bytes) -> list[tuple[str, bytes]]:
        """Kafka headers carrying the signer and the signature of this record."""
        sig = self.key.sign(signed_bytes(topic.removeprefix(self.prefix), value))
        return [(SIGNER_HEADER, self.service.encode()), (SIGNATURE_HEADER, base64.b64encode(sig))]


class EventVerifier:
    """Checks owner, signer and signature of consumed records; public keys are read once, when first needed."""

    def __init__(self, keys_dir: Path, topic_prefix: str, owners: dict[str, str] | None = None) -> None:
        self.keys_dir = keys_dir
        self.prefix = topic_prefix + "."
        self.owners = TOPIC_OWNERS if owners is None else owners
        self._keys: dict[str, Ed25519PublicKey] = {}

    def _public_key(self, service: str) -> Ed25519PublicKey | None:
        if service not in self._keys:
            _, pub = key_paths(self.keys_dir, service)
            if not service.replace("-", "").isalnum() or not pub.exists():
                return None  # not cached: the owner may create its key after we started
            key = serialization.load_pem_public_key(pub.read_bytes())
            if not isinstance(key, Ed25519PublicKey):
                return None
            self._keys[service] = key
        return self._keys[service]

    def check(self, rec: ConsumerRecord, env: Envelope) -> tuple[str, str] | None:
        """None when the record is genuine; else (dead-letter reason, detail)."""
        suffix = rec.topic.removeprefix(self.prefix)
        owner = self.owners.get(suffix)
        if owner is not None and env.source != owner:
            return "forged_source", f"主题 {suffix} 只接受 {owner} 发布的事件，而来源是 {env.source}"
        headers = {k: v for k, v in (rec.headers or ())}
        signer, sig = headers.get(SIGNER_HEADER), headers.get(SIGNATURE_HEADER)
        if not signer or not sig:
            return "unsigned", "事件没有签名"
        if signer.decode("utf-8", "replace") != env.source:
            return "bad_signature", "签名者与事件来源不符"
        key = self._public_key(env.source)
        if key is None:
            return "unknown_signer", f"没有 {env.source} 的事件公钥"
        try:
            key.verify(base64.b64decode(sig, validate=True), signed_bytes(suffix, rec.value or b""))
        except (InvalidSignature, ValueError):
            return "bad_signature", "事件签名无效"
        return None


def signer_for(keys_dir: Path, service: str, topic_prefix: str, *, create: bool) -> EventSigner | None:
    """The service's signer: made on first use when `create` (demo), else only from an existing key."""
    priv, _ = key_paths(keys_dir, service)
    if create:
        ensure_event_key(keys_dir, service)
    elif not priv.exists():
        return None
    return EventSigner(service, priv.read_bytes(), topic_prefix)
