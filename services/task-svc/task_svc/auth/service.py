"""Login, refresh and logout, token checks, and the accounts every unit gets."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal, TokenIssuer
from duban_shared.errors import AppError
from task_svc.auth import throttle
from task_svc.auth.models import RefreshToken
from task_svc.auth.passwords import UNUSABLE, hash_password, verify_password
from task_svc.directory.models import Account, Unit

ROLES_BY_KIND = {
    "city": "city plan_admin",
    "department": "department",
    "district": "district",
    "school": "school",
}
# The people of a unit: 经办人 does the work, 审核人 approves as the issuing unit, 负责人 sees everything.
PERSON_ROLES = {"operator": "经办人", "reviewer": "审核人", "leader": "负责人", "unit_admin": "单位管理员"}
DEMO_PERSON_ROLES = " ".join(PERSON_ROLES)


def digest(secret: str) -> str:
    """How codes and refresh tokens are stored: their SHA-256, never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def principal_for(*, session: AsyncSession, account: Account) -> tuple[Principal, Unit | None]:
    """The principal a token for this account carries, and the account's unit."""
    unit = await session.get(Unit, account.unit_id) if account.unit_id else None
    principal = Principal(
        username=account.username, unit_id=account.unit_id, unit_kind=unit.kind if unit else None,
        roles=tuple(account.roles.split()), display_name=account.display_name or (unit.name if unit else None),
        token_version=account.token_version, unit_name=unit.name if unit else None,
    )
    return principal, unit


async def authenticate(*, session: AsyncSession, username: str, password: str, address: str) -> tuple[Principal, Unit | None]:
    """Check credentials behind the throttle; one 401 message whatever was wrong, and the same bcrypt cost."""
    await throttle.check(session=session, username=username, address=address)
    account = await session.get(Account, username)
    matches = await asyncio.to_thread(verify_password, password, account.password_hash if account else None)
    if not matches or account is None or not account.active:
        await throttle.record_failure(session=session, username=username, address=address)
        try:
            await session.commit()
        except IntegrityError:  # a concurrent first failure made the same counter row; this one goes uncounted
            await session.rollback()
        raise AppError(401, "invalid_credentials", "用户名或密码错误")
    await throttle.record_success(session=session, username=username)
    return await principal_for(session=session, account=account)


async def issue_tokens(*, session: AsyncSession, principal: Principal, issuer: TokenIssuer, refresh_ttl: int) -> tuple[str, str]:
    """A short-lived access token and a stored (hashed) refresh token."""
    refresh = secrets.token_urlsafe(32)
    session.add(RefreshToken(token_hash=digest(refresh), username=principal.username,
                             token_version=principal.token_version or 0, expires_at=time.time() + refresh_ttl))
    return issuer.issue(principal), refresh


async def refresh_tokens(*, session: AsyncSession, token: str, issuer: TokenIssuer, refresh_ttl: int) -> tuple[Principal, Unit | None, str, str]:
    """Swap a refresh token for new tokens (the old one is spent); 401 when it or its account is no longer good."""
    row = await session.get(RefreshToken, digest(token))
    account = await session.get(Account, row.username) if row else None
    if (row is None or row.revoked or row.expires_at < time.time() or account is None or not account.active
            or account.token_version != row.token_version):
        raise AppError(401, "invalid_refresh_token", "登录已失效，请重新登录")
    row.revoked = True
    session.add(row)
    principal, unit = await principal_for(session=session, account=account)
    access, refresh = await issue_tokens(session=session, principal=principal, issuer=issuer, refresh_ttl=refresh_ttl)
    return principal, unit, access, refresh


async def revoke_refresh(*, session: AsyncSession, token: str) -> None:
    """Logout: the refresh token stops working (the access token lapses within its short lifetime)."""
    row = await session.get(RefreshToken, digest(token))
    if row is not None:
        row.revoked = True
        session.add(row)


async def revoke_all(*, session: AsyncSession, account: Account) -> None:
    """Every token of the account stops working: bump its version and spend its refresh tokens."""
    account.token_version += 1
    session.add(account)
    await session.execute(sa.update(RefreshToken).where(RefreshToken.username == account.username).values(revoked=True))  # type: ignore[arg-type]


async def token_current(*, session: AsyncSession, username: str, version: int) -> bool:
    """True while the account is active and its token version is the token's."""
    account = await session.get(Account, username)
    return account is not None and account.active and account.token_version == version


async def unit_known(*, session: AsyncSession, unit_id: str) -> bool:
    """True when the unit exists in the directory and is active (OIDC tokens name units by id)."""
    unit = await session.get(Unit, unit_id) if unit_id else None
    return unit is not None and unit.active


async def ensure_admin(*, session: AsyncSession, city_unit_id: str | None, password: str, replace: str | None = None) -> None:
    """Create the `admin` account once (city bureau administrator); an existing one still on `replace` gets `password`."""
    admin = await session.get(Account, "admin")
    if admin is None:
        pw_hash = await asyncio.to_thread(hash_password, password)
        session.add(Account(username="admin", password_hash=pw_hash, unit_id=city_unit_id,
                            roles="admin plan_admin city", display_name="系统管理员"))
    elif replace is not None and await asyncio.to_thread(verify_password, replace, admin.password_hash):
        admin.password_hash = await asyncio.to_thread(hash_password, password)
        await revoke_all(session=session, account=admin)


async def retire_demo_passwords(*, session: AsyncSession, demo_password: str) -> int:
    """Production start: accounts still on the demo password lose it and wait for an activation code.

    Demo accounts were made in batches sharing one hash, so checking each hash that several accounts
    share finds them with a handful of bcrypt checks; returns how many were retired. (`admin` is
    handled by ensure_admin.)
    """
    shared = sa.select(Account.password_hash).group_by(Account.password_hash).having(sa.func.count() > 1)  # type: ignore[arg-type]
    hashes = set((await session.execute(shared)).scalars().all()) - {UNUSABLE}
    retired = 0
    for h in hashes:
        if await asyncio.to_thread(verify_password, demo_password, h):
            for account in (await session.exec(select(Account).where(Account.password_hash == h, Account.username != "admin"))).all():
                account.password_hash = UNUSABLE
                await revoke_all(session=session, account=account)
                retired += 1
    return retired


async def ensure_unit_accounts(*, session: AsyncSession, units: list[Unit], password_hash: str | None) -> int:
    """Give every unit without one an account named by its code; returns how many were made.

    With a password hash (demo mode) the account works at once and holds every role of its unit;
    without one it waits for an activation code from an administrator.
    """
    existing = set((await session.exec(select(Account.username))).all())
    made = 0
    for u in units:
        if u.code in existing:
            continue
        roles = f"{ROLES_BY_KIND.get(u.kind, '')} {DEMO_PERSON_ROLES}".strip()
        session.add(Account(username=u.code, password_hash=password_hash or UNUSABLE, unit_id=u.id, roles=roles, display_name=u.name))
        made += 1
    return made
