"""Event signatures without a broker: what the verifier accepts and why it refuses the rest."""

from __future__ import annotations

from pathlib import Path

from aiokafka.structs import ConsumerRecord

from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging.signing import EventVerifier
from duban_shared.testing.signing import owner_envelope, signed_headers


def record(topic: str, value: bytes, headers: list[tuple[str, bytes]]) -> ConsumerRecord:
    return ConsumerRecord(topic=topic, partition=0, offset=0, timestamp=0, timestamp_type=0, key=b"k", value=value,
                          checksum=None, serialized_key_size=1, serialized_value_size=len(value), headers=headers)


def test_verifier_checks_owner_signer_signature_and_topic(tmp_path: Path) -> None:
    keys, prefix = tmp_path / "keys", "p"
    verifier = EventVerifier(keys, prefix)
    env = owner_envelope(UnitUpserted(id="u1", code="c1", name="一小", kind="school"))
    value = env.to_bytes()
    good = signed_headers(keys, prefix, "p.directory", env)
    assert verifier.check(record("p.directory", value, good), env) is None
    # The same genuine record replayed onto another topic that task-svc also owns: the signature covers the topic.
    assert verifier.check(record("p.task", value, good), env) == ("bad_signature", "事件签名无效")
    assert verifier.check(record("p.directory", value + b" ", good), env)[0] == "bad_signature"  # type: ignore[index]
    assert verifier.check(record("p.directory", value, []), env)[0] == "unsigned"  # type: ignore[index]
    wrong_header = [("duban-signer", b"plan-svc"), good[1]]
    assert verifier.check(record("p.directory", value, wrong_header), env)[0] == "bad_signature"  # type: ignore[index]
    garbage = [good[0], ("duban-sig", b"%%%not base64")]
    assert verifier.check(record("p.directory", value, garbage), env)[0] == "bad_signature"  # type: ignore[index]
    stranger = env.model_copy(update={"source": "../../etc/passwd"})
    assert verifier.check(record("p.unknown", stranger.to_bytes(), [("duban-signer", b"../../etc/passwd"), ("duban-sig", b"AA==")]),
                          stranger)[0] == "unknown_signer"  # type: ignore[index]
    assert verifier.check(record("p.plan", value, good), env)[0] == "forged_source"  # type: ignore[index]
