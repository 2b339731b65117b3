import time, logging
async def test_t(make_settings, broker, topic_prefix):
    import sys
    sys.path.insert(0, "services/report-svc/tests")
    from duban_shared.testing.services import running
    from report_svc.config import ReportSettings
    from report_svc.main import create_app
    t=time.monotonic()
    app = create_app(make_settings(ReportSettings))
    logging.getLogger("aiokafka").setLevel(logging.INFO); logging.getLogger("duban_shared").setLevel(logging.DEBUG)
    async with running(app) as c:
        print("started", time.monotonic()-t)
        from aiokafka import AIOKafkaProducer
        from duban_shared.events import Envelope
        from duban_shared.events.catalogue import UnitUpserted
        p = AIOKafkaProducer(bootstrap_servers=broker.bootstrap); await p.start()
        for topic in ("directory","plan","task"):
            e = UnitUpserted(id="x", code="x", name="x", kind="city")
            env = Envelope(type=e.TYPE, source="t", key="x", payload=e.model_dump(mode="json"))
            await p.send_and_wait(f"{topic_prefix}.{topic}", env.to_bytes(), key=b"x")
            print("sent", topic, time.monotonic()-t)
            import asyncio
            while True:
                txt = (await c.get("/metrics")).text
                if f'topic="{topic_prefix}.{topic}"' in txt and "events_consumed_total{" in txt:
                    break
                await asyncio.sleep(0.1)
            print("consumed", topic, time.monotonic()-t)
        await p.stop()
