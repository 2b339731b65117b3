import time
from duban_shared.testing.services import running
from duban_shared.events.catalogue import TaskCreated

async def test_timing(app, writer, token, kit):
    t0 = time.monotonic()
    app.state.ctx.relay.epoch_listeners.clear()
    async with running(app) as client:
        print("\nstarted", time.monotonic() - t0)
        await writer.send(kit.task_event(TaskCreated, "t-1", title="x"))
        await kit.wait_for_count(client, token(kit.DISTRICT), 1)
        print("first notification", time.monotonic() - t0)
        t1 = time.monotonic()
    print("shutdown", time.monotonic() - t1)
