"""People of a unit: invitations and activation codes, own password changes, resets and deactivation."""

from __future__ import annotations

import asyncio
import secrets
import time

from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.errors import AppError, not_found
from task_svc.auth.models import ActivationCode
from task_svc.auth.passwords import UNUSABLE, check_policy, hash_password, verify_password
from task_svc.auth.service import PERSON_ROLES, ROLES_BY_KIND, digest, revoke_all
from task_svc.directory.models import Account, Unit

CODE_TTL = 7 * 24 * 3600


def _may_manage(actor: Principal, unit_id: str | None) -> bool:
    """City administrators manage everyone; a unit administrator manages the people of their own unit."""
    return actor.is_admin or (actor.has("unit_admin") and unit_id is not None and actor.unit_id == unit_id)


async def _new_code(*, session: AsyncSession, username: str, actor: Principal) -> tuple[str, float]:
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))  # 64 bits, readable aloud: 3F2A-…
    expires = time.time() + CODE_TTL
    session.add(ActivationCode(code_hash=digest(code), username=username, expires_at=expires, created_by=actor.username))
    return code, expires


async def invite(*, session: AsyncSession, actor: Principal, username: str, display_name: str, unit_id: str,
                 roles: list[str]) -> tuple[Account, str, float]:
    """Create a person's account without a password; returns it with a one-time activation code."""
    if not _may_manage(actor, unit_id):
        raise AppError(403, "forbidden", "只能为本单位邀请用户")
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise not_found("单位")
    unknown = [r for r in roles if r not in PERSON_ROLES]
    if unknown or not roles:
        raise AppError(422, "invalid_roles", f"角色只能是 {'、'.join(f'{k}（{v}）' for k, v in PERSON_ROLES.items())}")
    if await session.get(Account, username) is not None:
        raise AppError(409, "username_taken", "该用户名已被使用")
    account = Account(username=username, password_hash=UNUSABLE, unit_id=unit.id, display_name=display_name,
                      roles=" ".join([*ROLES_BY_KIND.get(unit.kind, "").split(), *dict.fromkeys(roles)]))
    session.add(account)
    code, expires = await _new_code(session=session, username=username, actor=actor)
    return account, code, expires


async def reset(*, session: AsyncSession, actor: Principal, username: str) -> tuple[str, float]:
    """Administrator reset: the password stops working, every token is revoked, a new activation code is issued."""
    account = await session.get(Account, username)
    if account is None or not _may_manage(actor, account.unit_id):
        raise not_found("账号")
    account.password_hash = UNUSABLE
    await revoke_all(session=session, account=account)
    return await _new_code(session=session, username=username, actor=actor)


async def activate(*, session: AsyncSession, username: str, code: str, password: str) -> Account:
    """Set the password with a one-time code; the code is spent either way once it matched."""
    row = await session.get(ActivationCode, digest(code.strip().upper()))
    if row is None or row.username != username or row.used_at is not None or row.expires_at < time.time():
        raise AppError(400, "invalid_activation_code", "激活码无效或已过期，请联系管理员重新获取")
    account = await session.get(Account, username)
    if account is None:
        raise AppError(400, "invalid_activation_code", "激活码无效或已过期，请联系管理员重新获取")
    check_policy(password, username=username)
    account.password_hash = await asyncio.to_thread(hash_password, password)
    account.active = True
    row.used_at = time.time()
    session.add(row)
    await revoke_all(session=session, account=account)
    return account


async def change_password(*, session: AsyncSession, user: Principal, old: str, new: str) -> Account:
    """A user changes their own password; every older token of theirs stops working."""
    account = await session.get(Account, user.username)
    if account is None:
        raise AppError(403, "forbidden", "该登录方式不能修改密码")
    if not await asyncio.to_thread(verify_password, old, account.password_hash):
        raise AppError(400, "wrong_password", "原密码不正确")
    check_policy(new, username=user.username)
    if old == new:
        raise AppError(422, "weak_password", "新密码不能与原密码相同")
    account.password_hash = await asyncio.to_thread(hash_password, new)
    await revoke_all(session=session, account=account)
    return account


async def set_active(*, session: AsyncSession, actor: Principal, username: str, active: bool) -> Account:
    """Deactivate (tokens revoked at once) or reactivate an account."""
    account = await session.get(Account, username)
    if account is None or not _may_manage(actor, account.unit_id):
        raise not_found("账号")
    if username == actor.username and not active:
        raise AppError(409, "cannot_deactivate_self", "不能停用自己的账号")
    account.active = active
    await revoke_all(session=session, account=account)
    return account
