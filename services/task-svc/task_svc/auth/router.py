"""POST /api/auth/login, GET /api/auth/me."""

from fastapi import APIRouter, Request

from duban_shared.app import SessionDep
from duban_shared.auth import CurrentUser
from task_svc.auth import service
from task_svc.auth.schemas import LoginRequest, LoginResponse, UserPublic

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=LoginResponse)
async def login(body: LoginRequest, session: SessionDep, request: Request) -> LoginResponse:
    """Exchange a username and password for a bearer token."""
    principal, unit = await service.authenticate(session=session, username=body.username, password=body.password)
    issuer = request.app.state.issuer
    user = UserPublic(username=principal.username, unit_id=principal.unit_id, unit_kind=principal.unit_kind,
                      unit_name=unit.name if unit else None, roles=list(principal.roles))
    return LoginResponse(access_token=issuer.issue(principal), expires_in=issuer.ttl, user=user)


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    """Who the token belongs to."""
    return UserPublic(username=user.username, unit_id=user.unit_id, unit_kind=user.unit_kind,
                      unit_name=user.display_name, roles=list(user.roles))
