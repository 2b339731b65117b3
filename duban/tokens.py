"""`duban token`: sign a token for an existing account with the embedded key."""

from __future__ import annotations

from duban.stack import by_name, database_url, var_dir
from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.db import Database
from duban_shared.settings import ServiceSettings


async def issue_for(username: str, ttl: int) -> str:
    """A token for the account, with its unit and roles."""
    from task_svc.auth.passwords import UNUSABLE
    from task_svc.directory.models import Account, Unit

    db = Database(database_url(by_name("task-svc")))
    try:
        async with db.sessionmaker() as s:
            acc = await s.get(Account, username)
            if acc is None:
                raise LookupError(f"账号 {username} 不存在")
            if not acc.active:
                raise LookupError(f"账号 {username} 已停用，不能签发令牌")
            if acc.password_hash == UNUSABLE:
                raise LookupError(f"账号 {username} 尚未激活，不能签发令牌")
            unit = await s.get(Unit, acc.unit_id) if acc.unit_id else None
    finally:
        await db.dispose()
    settings = ServiceSettings(var_dir=var_dir())
    # The account's token version goes in, so deactivating or resetting the account revokes this token too.
    p = Principal(username=acc.username, unit_id=acc.unit_id, unit_kind=unit.kind if unit else None,
                  roles=tuple(acc.roles.split()), display_name=acc.display_name, token_version=acc.token_version,
                  unit_name=unit.name if unit else None)
    return issuer_from_settings(settings).issue(p, ttl)
