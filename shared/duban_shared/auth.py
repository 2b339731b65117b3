"""JWT bearer auth shared by every service.

Embedded identity: task-svc signs RS256 tokens with a key pair generated on first run under
`var/keys/`; every service verifies with the public key. Production: set OIDC_ISSUER and
OIDC_JWKS_URL and tokens from the organisation's identity provider are verified instead.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, Request

from duban_shared.errors import AppError

ADMIN_ROLES = frozenset({"admin"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: username, their unit, and roles."""

    username: str
    unit_id: str | None
    unit_kind: str | None
    roles: tuple[str, ...] = field(default_factory=tuple)
    display_name: str | None = None
    # Account token version (embedded logins); None for OIDC and key-holder tokens.
    token_version: int | None = None
    unit_name: str | None = None
    expires_at: int | None = None  # the token's exp: long-lived streams end with it

    @property
    def who(self) -> str:
        """The person and their unit, for timelines: 张三（海曙区教育局）."""
        name = self.display_name or self.username
        return f"{name}（{self.unit_name}）" if self.unit_name and self.unit_name != name else name

    def has(self, *roles: str) -> bool:
        """True when the caller holds any of the roles."""
        return any(r in self.roles for r in roles)

    @property
    def is_admin(self) -> bool:
        """City bureau administrator."""
        return self.has(*ADMIN_ROLES)


def _write_once(path: Path, data: bytes, mode: int) -> None:
    # Link a finished temp file into place: if another process won the race, keep theirs.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    try:
        os.write(fd, data)
        os.close(fd)
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def ensure_keypair(keys_dir: Path) -> tuple[Path, Path]:
    """Create the embedded RS256 key pair once; return (private, public) paths."""
    priv, pub = keys_dir / "jwt-private.pem", keys_dir / "jwt-public.pem"
    if not priv.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        _write_once(priv, pem, 0o600)
    if not pub.exists():
        key = serialization.load_pem_private_key(priv.read_bytes(), password=None)
        pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        _write_once(pub, pem, 0o644)
    return priv, pub


class TokenIssuer:
    """Signs tokens for the embedded identity provider."""

    def __init__(self, private_key_pem: bytes, *, issuer: str, audience: str, ttl: int) -> None:
        self.key = private_key_pem
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl

    def issue(self, p: Principal, ttl: int | None = None) -> str:
        """A signed access token for the principal."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": p.username,
            "unit_id": p.unit_id,
            "unit_kind": p.unit_kind,
            "roles": list(p.roles),
            "name": p.display_name,
            "unit_name": p.unit_name,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + (ttl or self.ttl),
        }
        if p.token_version is not None:
            claims["ver"] = p.token_version
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "duban-embedded"})


class TokenVerifier:
    """Verifies bearer tokens with a static public key or an OIDC JWKS endpoint."""

    def __init__(self, *, public_key_pem: bytes | None = None, jwks_url: str | None = None, issuer: str, audience: str,
                 role_map: dict[str, tuple[str, ...]] | None = None, roles_claim: str = "roles") -> None:
        if not public_key_pem and not jwks_url:
            raise ValueError("need a public key or a JWKS URL")
        self.public_key = public_key_pem
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self.issuer = issuer
        self.audience = audience
        # OIDC: only roles named in the map grant duban roles; realm-wide roles are never read implicitly.
        self.role_map = role_map if role_map is not None else ({} if jwks_url else None)
        self.roles_claim = roles_claim

    def roles_of(self, claims: dict[str, Any]) -> tuple[str, ...]:
        """Duban roles: the embedded token's own, or the identity provider's mapped through the role map."""
        if self.role_map is None:
            return tuple(str(r) for r in claims.get("roles") or [])
        value: Any = claims
        for part in self.roles_claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        external = [str(r) for r in value] if isinstance(value, list) else []
        return tuple(dict.fromkeys(r for e in external for r in self.role_map.get(e, ())))

    def verify(self, token: str) -> Principal:
        """Decode and check a token; raises AppError(401) when it is not acceptable."""
        try:
            key: Any = self.jwks.get_signing_key_from_jwt(token).key if self.jwks else self.public_key
            claims = jwt.decode(
                token, key, algorithms=["RS256", "ES256"], audience=self.audience, issuer=self.issuer,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AppError(401, "token_expired", "登录已过期，请重新登录") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise AppError(401, "invalid_token", "登录凭证无效，请重新登录") from exc
        ver = claims.get("ver") if self.role_map is None else None
        return Principal(
            username=str(claims["sub"]),
            unit_id=claims.get("unit_id"),
            unit_kind=claims.get("unit_kind"),
            roles=self.roles_of(claims),
            display_name=claims.get("name"),
            token_version=ver if isinstance(ver, int) else None,
            unit_name=claims.get("unit_name"),
            expires_at=int(claims["exp"]),
        )


def parse_role_map(text: str) -> dict[str, tuple[str, ...]]:
    """`OIDC_ROLE_MAP`: `idp-role=duban roles;other=…` (roles space-separated) into a mapping."""
    out: dict[str, tuple[str, ...]] = {}
    for part in text.replace(",", ";").split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            out[key.strip()] = tuple(value.split())
    return out


def verifier_from_settings(settings: Any) -> TokenVerifier:
    """Build the verifier a service uses, from its settings."""
    if settings.oidc_jwks_url:
        return TokenVerifier(jwks_url=settings.oidc_jwks_url, issuer=settings.oidc_issuer or settings.jwt_issuer,
                             audience=settings.jwt_audience, role_map=parse_role_map(settings.oidc_role_map),
                             roles_claim=settings.oidc_roles_claim)
    pub_path = settings.jwt_public_key_path
    if pub_path is None:
        _, pub_path = _keypair_or_fail(settings, private=False)
    return TokenVerifier(public_key_pem=Path(pub_path).read_bytes(), issuer=settings.jwt_issuer, audience=settings.jwt_audience)


def issuer_from_settings(settings: Any) -> TokenIssuer:
    """Build the embedded token issuer (task-svc and the CLI)."""
    priv_path = settings.jwt_private_key_path
    if priv_path is None:
        priv_path, _ = _keypair_or_fail(settings, private=True)
    return TokenIssuer(Path(priv_path).read_bytes(), issuer=settings.jwt_issuer, audience=settings.jwt_audience, ttl=settings.jwt_ttl_seconds)


def _keypair_or_fail(settings: Any, *, private: bool) -> tuple[Path, Path]:
    # Outside demo mode keys are provisioned (`duban keys init`, a mounted secret), never made on the fly.
    if getattr(settings, "demo_mode", True):
        return ensure_keypair(settings.keys_dir)
    priv, pub = settings.keys_dir / "jwt-private.pem", settings.keys_dir / "jwt-public.pem"
    missing = priv if private and not priv.exists() else pub if not pub.exists() else None
    if missing is not None:
        from duban_shared.security import ConfigError

        raise ConfigError(f"缺少 JWT 密钥 {missing}：生产模式不会自动生成，请先运行 `duban keys init` 或挂载密钥")
    return priv, pub


def bearer_token(request: Request) -> str:
    """The token from the Authorization header (or `access_token` query for EventSource)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    qtoken = request.query_params.get("access_token")
    if qtoken and request.url.path.endswith("/stream"):
        return qtoken
    raise AppError(401, "unauthorized", "未登录或登录已过期，请重新登录")


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller."""
    verifier: TokenVerifier = request.app.state.verifier
    token = bearer_token(request)
    if verifier.jwks is not None:
        # PyJWKClient fetches the key set with blocking I/O (cached afterwards): keep it off the loop.
        principal = await asyncio.to_thread(verifier.verify, token)
    else:
        principal = verifier.verify(token)
    guard = getattr(request.app.state, "token_guard", None)
    if guard is not None:
        await guard.check(principal)
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str):  # type: ignore[no-untyped-def]
    """Dependency factory: 403 unless the caller has one of the roles (admins always pass)."""

    async def _dep(user: CurrentUser) -> Principal:
        if user.is_admin or user.has(*roles):
            return user
        raise AppError(403, "forbidden", "没有权限执行此操作")

    return Depends(_dep)
