"""A forged unit.upserted (issue 12: "moved a school into another district's reports") is not obeyed."""

from __future__ import annotations

from duban_shared.events import Envelope
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.testing.signing import dead_letters, owner_envelope, signed_headers
from report_svc.units.models import Unit


async def test_forged_unit_upserted_is_dead_lettered(report, broker, tmp_path) -> None:
    """Unsigned, wrongly sourced or wrongly keyed directory events leave the school where it is."""
    d = report.directory
    move = UnitUpserted(id=d.s1a, code="D01-S1", name="海曙区第一小学", kind="school", parent_id=d.d2, school_type="primary")
    topic = f"{report.feed.prefix}.{move.TOPIC}"
    producer = report.feed.producer
    unsigned = owner_envelope(move)
    await producer.send_and_wait(topic, unsigned.to_bytes(), key=unsigned.key.encode())
    impostor = Envelope(**{**owner_envelope(move).model_dump(), "source": "notify-svc"})
    await producer.send_and_wait(topic, impostor.to_bytes(), key=impostor.key.encode(),
                                 headers=signed_headers(report.feed.keys_dir, report.feed.prefix, topic, impostor))
    attacker = owner_envelope(move)
    await producer.send_and_wait(topic, attacker.to_bytes(), key=attacker.key.encode(),
                                 headers=signed_headers(tmp_path / "attacker", report.feed.prefix, topic, attacker))
    # A genuine event after them on the same key: once it is applied, the forged ones were seen first.
    await report.publish_all([UnitUpserted(id=d.s1a, code="D01-S1", name="海曙区第一小学（新）", kind="school",
                                           parent_id=d.d1, school_type="primary")])
    async with report.app.state.ctx.db.sessionmaker() as s:
        unit = await s.get(Unit, d.s1a)
    assert unit is not None and unit.parent_id == d.d1 and unit.name == "海曙区第一小学（新）"
    dlq = await dead_letters(broker.bootstrap, f"{report.feed.prefix}.dlq", 3)
    assert sorted(r for r, _ in dlq) == ["bad_signature", "forged_source", "unsigned"]
