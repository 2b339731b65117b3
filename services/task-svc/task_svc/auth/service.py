"""Accounts: login and the roles each kind of unit gets."""

from __future__ import annotations

import asyncio

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.errors import AppError
from task_svc.auth.passwords import hash_password, verify_password
from task_svc.directory.models import Account, Unit

ROLES_BY_KIND = {
    "city": "city plan_admin",
    "department": "department",
    "district": "district",
    "school": "school",
}


async def authenticate(*, session: AsyncSession, username: str, password: str) -> tuple[Principal, Unit | None]:
    """Check credentials; 401 with one message whatever was wrong, so usernames do not leak."""
    account = await session.get(Account, username)
    ok = account is not None and account.active and await asyncio.to_thread(verify_password, password, account.password_hash)
    if not ok or account is None:
        raise AppError(401, "invalid_credentials", "用户名或密码错误")
    unit = await session.get(Unit, account.unit_id) if account.unit_id else None
    principal = Principal(
        username=account.username,
        unit_id=account.unit_id,
        unit_kind=unit.kind if unit else None,
        roles=tuple(account.roles.split()),
        display_name=account.display_name or (unit.name if unit else None),
    )
    return principal, unit


async def ensure_admin(*, session: AsyncSession, city_unit_id: str | None, password: str) -> None:
    """Create the `admin` account once (city bureau administrator)."""
    if await session.get(Account, "admin") is None:
        session.add(Account(username="admin", password_hash=hash_password(password), unit_id=city_unit_id,
                            roles="admin plan_admin city", display_name="系统管理员"))


async def ensure_unit_accounts(*, session: AsyncSession, units: list[Unit], password_hash: str) -> int:
    """Give every unit without one an account named by its code; returns how many were made."""
    existing = set((await session.exec(select(Account.username))).all())
    made = 0
    for u in units:
        if u.code in existing:
            continue
        session.add(Account(username=u.code, password_hash=password_hash, unit_id=u.id, roles=ROLES_BY_KIND.get(u.kind, ""), display_name=u.name))
        made += 1
    return made
