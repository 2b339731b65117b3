"""A forged plan.revised (issue 12: "a forged revision withdrew 26 tasks") is dead-lettered, not obeyed."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from duban_shared.events import Envelope, utcnow
from duban_shared.events.catalogue import ItemChange, PlanRevised
from duban_shared.testing.services import bearer, eventually, running_many
from duban_shared.testing.signing import dead_letters, owner_envelope, signed_headers
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

DRAFT = {"title": "明州市教育局2026年工作要点", "year": 2026, "sections": [{"number": "一", "title": "重点工作", "items": [
    {"number": "1", "title": "深化主题教育", "lead_units": ["机关党委"]},
    {"number": "2", "title": "推进职教改革", "lead_units": ["职教处"]},
]}]}


async def test_forged_plan_revision_withdraws_nothing(make_settings, broker, topic_prefix, tmp_path) -> None:
    task_settings = make_settings(TaskSettings, demo_directory=True)
    apps = {"plan": plan_app(make_settings(PlanSettings)), "task": task_app(task_settings)}
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        async with running_many(apps) as c:
            h = bearer((await c["task"].post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"])
            plan = (await c["plan"].post("/api/plans", json=DRAFT, headers=h)).json()
            pid, items = plan["id"], plan["sections"][0]["items"]
            await c["plan"].post(f"/api/plans/{pid}/publish", headers=h)

            async def tasks(n: int, **filters: str):  # type: ignore[no-untyped-def]
                r = await c["task"].get("/api/tasks", params={"plan_id": pid, "limit": 200, **filters}, headers=h)
                got = r.json()["items"]
                return got if len(got) == n else None

            await eventually(lambda: tasks(2), what="tasks of version 1")
            withdraw = PlanRevised(plan_id=pid, version=2, previous_version=1, title=DRAFT["title"], published_by="admin",
                                   published_at=utcnow(), changes=[ItemChange(item_id=i["id"], change="removed") for i in items])
            topic = f"{topic_prefix}.{withdraw.TOPIC}"
            unsigned = owner_envelope(withdraw)
            await producer.send_and_wait(topic, unsigned.to_bytes(), key=pid.encode())
            attacker = owner_envelope(withdraw)
            await producer.send_and_wait(topic, attacker.to_bytes(), key=pid.encode(),
                                         headers=signed_headers(tmp_path / "attacker", topic_prefix, topic, attacker))
            # task-svc's own genuine key cannot speak for plan-svc on the plan topic either.
            impostor = Envelope(**{**owner_envelope(withdraw).model_dump(), "source": "task-svc"})
            await producer.send_and_wait(topic, impostor.to_bytes(), key=pid.encode(),
                                         headers=signed_headers(task_settings.keys_dir, topic_prefix, topic, impostor))
            # A genuine revision afterwards, on the same partition: once it shows, the forged ones were read.
            await c["plan"].patch(f"/api/plans/{pid}/items/{items[0]['id']}", json={"title": "深化主题教育走深走实"}, headers=h)
            assert (await c["plan"].post(f"/api/plans/{pid}/publish", headers=h)).json()["version"] == 2

            async def renamed():  # type: ignore[no-untyped-def]
                got = await tasks(2)
                return got if got and {t["title"] for t in got} == {"深化主题教育走深走实", "推进职教改革"} else None

            live = await eventually(renamed, what="the genuine revision applied")
            assert all(t["status"] != "declined" for t in live)
    finally:
        await producer.stop()
    dlq = await dead_letters(broker.bootstrap, f"{topic_prefix}.dlq", 3)
    assert sorted(r for r, _ in dlq) == ["bad_signature", "forged_source", "unsigned"]
