"""The directory over HTTP through the real task-svc app: login, browse, import, and unit events on the broker."""

from __future__ import annotations

from collections import Counter

import httpx
import sqlalchemy as sa

from duban_shared.db import Database
from duban_shared.events.catalogue import DIRECTORY_TOPIC, UnitUpserted
from duban_shared.testing.probe import probing
from duban_shared.testing.services import bearer, eventually, running
from task_svc.base import TABLES
from task_svc.config import TaskSettings
from task_svc.directory.demo import generate_demo_directory
from task_svc.directory.importer import write_directory_xlsx
from task_svc.directory.records import UnitRecord, unit_id_for
from task_svc.main import create_app

DEMO = generate_demo_directory()
CSV = "text/csv"


async def _login(c: httpx.AsyncClient, username: str, password: str = "demo") -> str:
    r = await c.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, str]:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) >= {"code", "message"} and err["message"]
    if code is not None:
        assert err["code"] == code, err
    return err  # type: ignore[no-any-return]


async def _upload(c: httpx.AsyncClient, token: str | None, data: bytes, filename: str = "名录.csv", ctype: str = CSV) -> httpx.Response:
    return await c.post("/api/directory/import", files={"file": (filename, data, ctype)}, headers=bearer(token) if token else {})


async def _all_pages(c: httpx.AsyncClient, token: str, limit: int, **params: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    while True:
        r = await c.get("/api/directory/units", params={**params, "limit": limit, "offset": len(items)}, headers=bearer(token))
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        if not page["items"]:
            return items


async def test_login_and_browse_the_demo_directory(make_settings) -> None:
    """Admin and unit accounts log in; units can be listed by kind, parent, school type, text, and paged."""
    async with running(create_app(make_settings(TaskSettings, demo_directory=True))) as c:
        admin = await _login(c, "admin")
        r = await c.post("/api/auth/login", json={"username": "haishu-p001", "password": "demo"})
        assert r.status_code == 200, r.text
        user = r.json()["user"]
        assert (user["unit_id"], user["unit_kind"]) == (unit_id_for("haishu-p001"), "school")
        school = r.json()["access_token"]
        _error(await c.post("/api/auth/login", json={"username": "haishu-p001", "password": "wrong"}), 401, "invalid_credentials")
        _error(await c.get("/api/directory/units"), 401)
        _error(await c.get("/api/directory/units", headers=bearer("not.a.token")), 401)

        r = await c.get("/api/directory/units", params={"kind": "district"}, headers=bearer(school))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == 12
        assert {u["code"] for u in body["items"]} == {u.code for u in DEMO if u.kind == "district"}
        assert set(body["items"][0]) >= {"id", "code", "name", "kind", "parent_id", "school_type"}
        assert all(u["parent_id"] == unit_id_for("city") and u["school_type"] is None for u in body["items"])

        r = await c.get("/api/directory/units", params={"kind": "city"}, headers=bearer(admin))
        assert [u["name"] for u in r.json()["items"]] == ["明州市教育局"]

        want = [u.code for u in DEMO if u.parent_code == "haishu" and u.school_type == "primary"]
        r = await c.get("/api/directory/units", params={"parent_id": unit_id_for("haishu"), "school_type": "primary", "limit": 2000}, headers=bearer(admin))
        assert r.json()["total"] == len(want)
        assert sorted(u["code"] for u in r.json()["items"]) == sorted(want)

        r = await c.get("/api/directory/units", params={"school_type": "university"}, headers=bearer(admin))
        assert r.json()["total"] == sum(1 for u in DEMO if u.school_type == "university")

        schools = await _all_pages(c, admin, 333, kind="school")
        assert len(schools) == sum(1 for u in DEMO if u.kind == "school")
        assert len({u["id"] for u in schools}) == len(schools)
        assert Counter(u["school_type"] for u in schools) == Counter(u.school_type for u in DEMO if u.kind == "school")
        r = await c.get("/api/directory/units", params={"kind": "school", "limit": 10, "offset": 20}, headers=bearer(admin))
        assert [u["id"] for u in r.json()["items"]] == [u["id"] for u in schools[20:30]]
        assert r.json()["total"] == len(schools)

        r = await c.get("/api/directory/units", params={"q": "实验小学", "limit": 2000}, headers=bearer(admin))
        assert r.json()["total"] == sum(1 for u in DEMO if "实验小学" in u.name) > 12
        assert all("实验小学" in u["name"] for u in r.json()["items"])

        r = await c.get(f"/api/directory/units/{unit_id_for('d-jjc')}", headers=bearer(school))
        assert r.status_code == 200 and (r.json()["code"], r.json()["name"], r.json()["kind"]) == ("d-jjc", "基础教育处", "department")
        _error(await c.get("/api/directory/units/no-such-unit", headers=bearer(admin)), 404, "not_found")
        _error(await c.get("/api/directory/units", params={"kind": "bogus"}, headers=bearer(admin)), 422)
        _error(await c.get("/api/directory/units", params={"limit": 0}, headers=bearer(admin)), 422)


IMPORT_CSV = (
    "单位编码,单位名称,单位类型,上级编码,学校类型\n"
    "haishu-p900,海曙区新建实验小学,学校,haishu,小学\n"     # new
    "haishu-p001,明州市海曙区第一实验小学,学校,haishu,小学\n"  # renamed
    "d-jjc,基础教育处,处室,city,\n"                        # unchanged
    "xinqu,明州新区教育局,区县,city,\n"                     # new district ...
    "xinqu-j001,明州新区第一中学,学校,xinqu,初中\n"           # ... and its school
    "haishu-bad,没有学校类型的学校,学校,haishu,\n"             # rejected
)


async def test_import_as_admin_then_again_unchanged(make_settings) -> None:
    """An admin import applies good rows and reports bad ones; the same file again changes nothing."""
    async with running(create_app(make_settings(TaskSettings, demo_directory=True))) as c:
        admin = await _login(c, "admin")
        r = await _upload(c, admin, IMPORT_CSV.encode("gbk"))
        assert r.status_code == 200, r.text
        s = r.json()
        assert {k: s[k] for k in ("total_rows", "created", "updated", "unchanged", "rejected", "accounts_created")} == \
            {"total_rows": 6, "created": 3, "updated": 1, "unchanged": 1, "rejected": 1, "accounts_created": 3}
        assert s["errors"] == [{"row": 7, "code": "haishu-bad", "message": "学校必须填写学校类型（幼儿园/小学/初中/高中/中职/特教/高校）"}]

        r = await c.get(f"/api/directory/units/{unit_id_for('haishu-p001')}", headers=bearer(admin))
        assert r.json()["name"] == "明州市海曙区第一实验小学"
        r = await c.get(f"/api/directory/units/{unit_id_for('xinqu-j001')}", headers=bearer(admin))
        assert (r.json()["parent_id"], r.json()["school_type"]) == (unit_id_for("xinqu"), "junior")
        r = await c.get("/api/directory/units", params={"kind": "district"}, headers=bearer(admin))
        assert r.json()["total"] == 13
        new_school = await _login(c, "haishu-p900")
        r = await c.get("/api/auth/me", headers=bearer(new_school))
        assert r.json()["unit_id"] == unit_id_for("haishu-p900")

        r = await _upload(c, admin, IMPORT_CSV.encode("utf-8-sig"))
        s = r.json()
        assert (s["created"], s["updated"], s["unchanged"], s["rejected"], s["accounts_created"]) == (0, 0, 5, 1, 0)

        records = [UnitRecord("haishu-p900", "海曙区新建实验小学", "school", "haishu", "primary"), UnitRecord("xinqu", "明州新区教育局", "district", "city")]
        r = await _upload(c, admin, write_directory_xlsx(records), "名录.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        assert r.status_code == 200, r.text
        assert (r.json()["unchanged"], r.json()["created"], r.json()["total_rows"]) == (2, 0, 2)


async def test_import_refusals(make_settings) -> None:
    """Non-admins get 403, no token 401, oversize 413, unreadable files 400 — always the error shape."""
    async with running(create_app(make_settings(TaskSettings, demo_directory=True))) as c:
        admin = await _login(c, "admin")
        district = await _login(c, "haishu")
        city_planner = await _login(c, "city")
        good = IMPORT_CSV.encode()
        for token in (district, city_planner):
            err = _error(await _upload(c, token, good), 403, "forbidden")
            assert "管理员" in err["message"]
        _error(await _upload(c, None, good), 401)
        # Over the importer's 5 MB but under the route's body limit: the importer says so.
        big = b"code,name,kind\n" + b"x" * (5 * 1024 * 1024)
        _error(await _upload(c, admin, big), 413, "file_too_large")
        # Over the route's body limit: rejected before the app reads it.
        _error(await _upload(c, admin, b"x" * (7 * 1024 * 1024)), 413, "payload_too_large")
        _error(await _upload(c, admin, b"PK\x03\x04garbage" * 100, "名录.xlsx"), 400, "unreadable_file")
        _error(await _upload(c, admin, b"%PDF-1.7 garbage", "名录.pdf", "application/pdf"), 400, "unsupported_file_type")
        _error(await _upload(c, admin, b""), 400, "empty_file")
        _error(await _upload(c, admin, "名称,上级\n甲,乙\n".encode()), 400, "missing_columns")
        _error(await c.post("/api/directory/import", headers=bearer(admin)), 422)
        r = await c.get("/api/directory/units", params={"kind": "district"}, headers=bearer(admin))
        assert r.json()["total"] == 12  # nothing refused left a trace


async def test_imported_units_are_published(make_settings, db_factory, broker, topic_prefix) -> None:
    """Each created or changed unit stages one unit.upserted that reaches the broker; unchanged rows stage none."""
    settings = make_settings(TaskSettings)
    first = "code,name,kind,parent_code,school_type\ncity,明州市教育局,city,,\nhaishu,海曙区教育局,district,city,\nhaishu-p001,明州市海曙区实验小学,school,haishu,primary\n"
    renamed = first.replace("明州市海曙区实验小学", "明州市海曙区实验小学（东校区）")
    ids = [unit_id_for(c) for c in ("city", "haishu", "haishu-p001")]
    db = Database(settings.db_url)

    async def staged() -> Counter[str]:
        async with db.engine.connect() as conn:
            q = sa.select(TABLES.outbox.c.key).where(TABLES.outbox.c.type == UnitUpserted.TYPE)
            return Counter(r[0] for r in (await conn.execute(q)).all())

    try:
        async with running(create_app(settings)) as c, probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix,
                                                               topics=[DIRECTORY_TOPIC], types=[UnitUpserted.TYPE]) as probe:
            admin = await _login(c, "admin")
            r = await _upload(c, admin, first.encode())
            assert r.json()["created"] == 3, r.text

            async def arrived(n: int):  # type: ignore[no-untyped-def]
                keys = Counter(await probe.keys(UnitUpserted.TYPE))
                return keys if sum(keys.values()) >= n else None

            keys = await eventually(lambda: arrived(3), what="three unit.upserted events")
            assert keys == Counter(ids)
            r = await _upload(c, admin, first.encode())
            assert r.json()["unchanged"] == 3
            assert await staged() == Counter(ids)  # an unchanged import stages nothing
            r = await _upload(c, admin, renamed.encode())
            assert (r.json()["updated"], r.json()["unchanged"]) == (1, 2)
            assert await staged() == Counter(ids) + Counter([ids[2]])
            keys = await eventually(lambda: arrived(4), what="the rename's unit.upserted")
            assert keys == Counter(ids) + Counter([ids[2]])
            assert set((await probe.counts()).values()) == {1}
    finally:
        await db.dispose()
