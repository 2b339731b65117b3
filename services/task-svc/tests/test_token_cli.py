"""Issue 12: `duban token` ignored the account's state; now it refuses inactive accounts and its tokens can be revoked."""

from __future__ import annotations

import pytest

from duban.tokens import issue_for
from duban_shared.testing.services import bearer, running
from task_svc.config import TaskSettings
from task_svc.main import create_app

CSV = "code,name,kind,parent_code\nC0,明州市教育局,city,\nD1,海曙区教育局,district,C0\n".encode()


async def test_duban_token_respects_account_state(make_settings, monkeypatch) -> None:
    settings = make_settings(TaskSettings)
    monkeypatch.setenv("DUBAN_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("TASK_SVC_DATABASE_URL", settings.db_url)
    async with running(create_app(settings)) as c:
        admin = bearer((await c.post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"])
        await c.post("/api/directory/import", files={"file": ("名录.csv", CSV, "text/csv")}, headers=admin)
        minted = bearer(await issue_for("D1", 600))
        assert (await c.get("/api/auth/me", headers=minted)).status_code == 200
        assert (await c.post("/api/auth/accounts/D1/deactivate", headers=admin)).status_code == 200
        assert (await c.get("/api/auth/me", headers=minted)).status_code == 401  # the minted token is revoked too
        with pytest.raises(LookupError, match="停用"):
            await issue_for("D1", 600)
        await c.post("/api/auth/accounts/D1/activate", headers=admin)
        await c.post("/api/auth/accounts/D1/reset", headers=admin)
        with pytest.raises(LookupError, match="激活"):
            await issue_for("D1", 600)
