"""Streaming through the gateway: Server-Sent Events and large uploads are passed on as they come."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import httpx

from duban_shared.testing.services import eventually
from gateway.main import create_app


async def test_sse_events_arrive_before_the_upstream_finishes(gateway_settings, upstream, serve_app) -> None:
    # A read timeout far shorter than the pause between events: the stream path must not have one.
    app = create_app(gateway_settings(upstream_timeout=0.3))
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with client.stream("GET", "/api/notifications/stream?access_token=tok") as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            assert resp.headers["cache-control"] == "no-cache"
            lines = resp.aiter_lines()
            assert await asyncio.wait_for(anext(lines), 5) == "data: one"
            assert not upstream.sse_closed.is_set()  # the upstream is still mid-stream
            await asyncio.sleep(1.0)
            upstream.release.set()
            rest = [line async for line in lines if line]
    assert rest == ["data: two"]


async def test_client_leaving_an_sse_closes_the_upstream_stream(gateway_settings, upstream, serve_app) -> None:
    app = create_app(gateway_settings())
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with client.stream("GET", "/api/notifications/stream?hold=1") as resp:
            lines = resp.aiter_lines()
            assert await asyncio.wait_for(anext(lines), 5) == "data: one"
            upstream.release.set()
            while await asyncio.wait_for(anext(lines), 5) != "data: two":
                pass
        await eventually(lambda: _is_set(upstream.sse_closed), timeout=5, what="upstream SSE closed after the client left")


async def _is_set(event: asyncio.Event) -> bool:
    return event.is_set()


async def test_a_5_mb_upload_is_streamed_through(gateway, upstream) -> None:
    chunk = bytes(range(256)) * 256  # 64 KiB
    total = 80  # 5 MiB
    digest = hashlib.sha256(chunk * total).hexdigest()

    async def body() -> AsyncIterator[bytes]:
        for i in range(total):
            if i == total // 2:
                # Half sent: a gateway that buffers the whole body would not have called the
                # upstream yet, and this wait would time out.
                await asyncio.wait_for(upstream.upload_started.wait(), 5)
            yield chunk

    async with gateway() as client:
        resp = await client.post("/api/plans/import", content=body(), headers={"Content-Type": "application/octet-stream"})
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert got["size"] == len(chunk) * total
    assert got["sha256"] == digest
    assert got["chunks"] > 1


async def test_a_5_mb_upload_with_content_length_is_forwarded_with_it(gateway, upstream) -> None:
    data = bytes(range(256)) * 20_480  # 5 MiB
    async with gateway() as client:
        resp = await client.post("/api/plans/import", content=data)
    assert resp.status_code == 201, resp.text
    assert resp.json()["size"] == len(data)
    assert resp.json()["sha256"] == hashlib.sha256(data).hexdigest()
