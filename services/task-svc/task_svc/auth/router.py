"""/api/auth: login, refresh, logout, me, config, password, activation, invitations, resets."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from duban_shared.app import SessionDep
from duban_shared.auth import CurrentUser, Principal
from duban_shared.security import client_address, parse_networks
from task_svc.auth import accounts, service
from task_svc.auth.passwords import MAX_BYTES, MIN_LENGTH
from task_svc.auth.schemas import (
    AccountState,
    ActivateRequest,
    ActivationCodeOut,
    AuthConfig,
    InviteRequest,
    LoginRequest,
    LoginResponse,
    PasswordChange,
    RefreshRequest,
    UserPublic,
)
from task_svc.directory.models import Unit

router = APIRouter(prefix="/api/auth", tags=["auth"])
internal = APIRouter(prefix="/internal/auth", include_in_schema=False)


def _user(p: Principal, unit: Unit | None) -> UserPublic:
    return UserPublic(username=p.username, unit_id=p.unit_id, unit_kind=p.unit_kind, unit_name=unit.name if unit else p.unit_name,
                      display_name=p.display_name, roles=list(p.roles))


def _tokens(request: Request, p: Principal, unit: Unit | None, access: str, refresh: str) -> LoginResponse:
    return LoginResponse(access_token=access, expires_in=request.app.state.issuer.ttl, refresh_token=refresh, user=_user(p, unit))


@router.post("/login", response_model=LoginResponse, responses={401: {}, 429: {}})
async def login(body: LoginRequest, session: SessionDep, request: Request) -> LoginResponse:
    """Exchange a username and password for an access token (30 min) and a refresh token."""
    address = client_address(request, parse_networks(request.app.state.settings.trusted_proxies))
    principal, unit = await service.authenticate(session=session, username=body.username, password=body.password, address=address)
    access, refresh = await service.issue_tokens(session=session, principal=principal, issuer=request.app.state.issuer,
                                                 refresh_ttl=request.app.state.settings.refresh_ttl_seconds)
    await session.commit()
    return _tokens(request, principal, unit, access, refresh)


@router.post("/refresh", response_model=LoginResponse, responses={401: {}})
async def refresh(body: RefreshRequest, session: SessionDep, request: Request) -> LoginResponse:
    """A new access token for a refresh token; the refresh token is replaced."""
    p, unit, access, new_refresh = await service.refresh_tokens(session=session, token=body.refresh_token, issuer=request.app.state.issuer,
                                                                refresh_ttl=request.app.state.settings.refresh_ttl_seconds)
    await session.commit()
    return _tokens(request, p, unit, access, new_refresh)


@router.post("/logout", status_code=204, response_class=Response)
async def logout(body: RefreshRequest, session: SessionDep) -> Response:
    """Spend the refresh token."""
    await service.revoke_refresh(session=session, token=body.refresh_token)
    await session.commit()
    return Response(status_code=204)


@router.get("/config", response_model=AuthConfig)
async def config(request: Request) -> AuthConfig:
    """Public: whether this is a demo installation (the login page shows the demo hint only then)."""
    s = request.app.state.settings
    return AuthConfig(demo=s.demo_mode, oidc=bool(s.oidc_jwks_url), password_min_length=MIN_LENGTH, password_max_bytes=MAX_BYTES)


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    """Who the token belongs to."""
    return _user(user, None)


@router.post("/password", response_model=AccountState, responses={400: {}, 422: {}})
async def change_password(body: PasswordChange, user: CurrentUser, session: SessionDep) -> AccountState:
    """Change your own password (policy applies); your other sessions end."""
    acc = await accounts.change_password(session=session, user=user, old=body.old_password, new=body.new_password)
    await session.commit()
    return AccountState(username=acc.username, active=acc.active, roles=acc.roles.split())


@router.post("/activate", response_model=AccountState, responses={400: {}, 422: {}})
async def activate(body: ActivateRequest, session: SessionDep) -> AccountState:
    """Set your password with the one-time activation code an administrator gave you."""
    acc = await accounts.activate(session=session, username=body.username, code=body.code, password=body.password)
    await session.commit()
    return AccountState(username=acc.username, active=acc.active, roles=acc.roles.split())


@router.post("/invitations", response_model=ActivationCodeOut, status_code=201, responses={403: {}, 404: {}, 409: {}})
async def invite(body: InviteRequest, user: CurrentUser, session: SessionDep) -> ActivationCodeOut:
    """Invite a person to a unit (city admin, or the unit's own admin); returns their activation code."""
    acc, code, _ = await accounts.invite(session=session, actor=user, username=body.username, display_name=body.display_name,
                                         unit_id=body.unit_id, roles=body.roles)
    await session.commit()
    return ActivationCodeOut(username=acc.username, activation_code=code, expires_in=accounts.CODE_TTL)


@router.post("/accounts/{username}/reset", response_model=ActivationCodeOut, responses={404: {}})
async def reset(username: str, user: CurrentUser, session: SessionDep) -> ActivationCodeOut:
    """Reset a password: tokens revoked, a new activation code for the person."""
    code, _ = await accounts.reset(session=session, actor=user, username=username)
    await session.commit()
    return ActivationCodeOut(username=username, activation_code=code, expires_in=accounts.CODE_TTL)


@router.post("/accounts/{username}/deactivate", response_model=AccountState, responses={404: {}, 409: {}})
async def deactivate(username: str, user: CurrentUser, session: SessionDep) -> AccountState:
    """Deactivate an account; its tokens stop working at once."""
    acc = await accounts.set_active(session=session, actor=user, username=username, active=False)
    await session.commit()
    return AccountState(username=acc.username, active=acc.active, roles=acc.roles.split())


@router.post("/accounts/{username}/activate", response_model=AccountState, responses={404: {}})
async def reactivate(username: str, user: CurrentUser, session: SessionDep) -> AccountState:
    """Reactivate an account."""
    acc = await accounts.set_active(session=session, actor=user, username=username, active=True)
    await session.commit()
    return AccountState(username=acc.username, active=acc.active, roles=acc.roles.split())


@internal.get("/check")
async def check(session: SessionDep, username: str = "", ver: int = Query(-1), unit_id: str | None = None) -> dict[str, bool]:
    """For the other services: is this token's account version current (or its OIDC unit one of ours)?"""
    if unit_id is not None:
        return {"ok": await service.unit_known(session=session, unit_id=unit_id)}
    return {"ok": await service.token_current(session=session, username=username, version=ver)}
