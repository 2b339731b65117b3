"""`duban token`: sign a token for an existing account with the embedded key."""

from __future__ import annotations

from duban.stack import by_name, database_url, var_dir
from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.db import Database
from duban_shared.settings import ServiceSettings


async def issue_for(username: str, ttl: int) -> str:
    """A token for the account, with its unit and roles."""
    from task_svc.directory.models import Account, Unit

    db = Database(database_url(by_name("task-svc")))
    try:
        async with db.sessionmaker() as s:
            acc = await s.get(Account, username)
            if acc is None:
                raise LookupError(f"账号 {username} 不存在")
            unit = await s.get(Unit, acc.unit_id) if acc.unit_id else None
    finally:
        await db.dispose()
    settings = ServiceSettings(var_dir=var_dir())
    p = Principal(username=acc.username, unit_id=acc.unit_id, unit_kind=unit.kind if unit else None,
                  roles=tuple(acc.roles.split()), display_name=acc.display_name)
    return issuer_from_settings(settings).issue(p, ttl)
