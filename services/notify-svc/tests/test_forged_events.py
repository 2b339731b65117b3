"""Forged task.reminded events (issue 12, "a forged reminder put a phishing link in a school's inbox")."""

from __future__ import annotations

from duban_shared.events import Envelope
from duban_shared.events.catalogue import TaskReminded
from duban_shared.testing.services import running
from duban_shared.testing.signing import dead_letters, owner_envelope, signed_headers

PHISH = "请点击 http://phish.example/login 重新认证"


async def test_forged_or_unsigned_reminders_are_dead_lettered(app, writer, token, kit, broker, tmp_path) -> None:
    """Unsigned, wrong-source and wrong-key reminders never reach an inbox; each lands in the dead-letter topic."""
    async with running(app) as client:
        await kit.load_directory(app, writer)
        producer = await writer.bus.require()
        topic = writer.bus.topic(TaskReminded.TOPIC)
        ev = kit.task_event(TaskReminded, "t-phish", message=PHISH)
        unsigned = owner_envelope(ev)
        await producer.send_and_wait(topic, unsigned.to_bytes(), key=unsigned.key.encode())
        # A service that may publish, but not on the task topic, signing with its own genuine key.
        wrong_source = Envelope(**{**owner_envelope(ev).model_dump(), "source": "plan-svc"})
        await producer.send_and_wait(topic, wrong_source.to_bytes(), key=b"t-phish",
                                     headers=signed_headers(writer.keys_dir, writer.bus.prefix, topic, wrong_source))
        # The right source name, signed with a key the attacker made.
        wrong_key = owner_envelope(ev)
        await producer.send_and_wait(topic, wrong_key.to_bytes(), key=b"t-phish",
                                     headers=signed_headers(tmp_path / "attacker", writer.bus.prefix, topic, wrong_key))
        # A genuine record whose bytes were altered after signing.
        genuine = owner_envelope(ev)
        tampered = genuine.to_bytes().replace(PHISH.encode(), "请尽快报送".encode())
        await producer.send_and_wait(topic, tampered, key=b"t-phish",
                                     headers=signed_headers(writer.keys_dir, writer.bus.prefix, topic, genuine))
        real = await writer.send(kit.task_event(TaskReminded, "t-real", message="请于本周内报送进展"))
        items = await kit.wait_for_count(client, token(kit.DISTRICT), 1)
    assert len(items) == 1 and "phish" not in str(items) and real.id
    dlq = await dead_letters(broker.bootstrap, writer.bus.topic("dlq"), 4)
    assert sorted(r for r, _ in dlq) == ["bad_signature", "bad_signature", "forged_source", "unsigned"]
