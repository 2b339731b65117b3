"""Production auth: a service verifies tokens of an OIDC issuer against its JWKS, fetched over HTTP."""

from __future__ import annotations

import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from duban_shared.testing.services import bearer, running, serving
from plan_svc.config import PlanSettings
from plan_svc.main import create_app

ISSUER = "https://idp.bureau.example/realms/duban"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _token(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = int(time.time())
    body = {"sub": "zhang.san", "iss": ISSUER, "aud": "duban", "iat": now, "exp": now + 600,
            "realm_access": {"roles": ["city", "plan_admin"]}, "unit_id": "u-city", "unit_kind": "city", **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


async def test_tokens_of_an_oidc_issuer_are_verified_against_its_jwks(make_settings) -> None:
    key = _key()
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "use": "sig", "alg": "RS256"}
    idp = Starlette(routes=[Route("/certs", lambda _r: JSONResponse({"keys": [jwk]}))])
    async with serving(idp) as idp_url:
        # Roles come only through the explicit map (here from Keycloak's realm roles, named on purpose).
        app = create_app(make_settings(PlanSettings, oidc_issuer=ISSUER, oidc_jwks_url=f"{idp_url}/certs",
                                       oidc_roles_claim="realm_access.roles", oidc_role_map="city=city;plan_admin=plan_admin"))
        async with running(app) as c:
            r = await c.get("/api/plans", headers=bearer(_token(key)))
            assert r.status_code == 200, r.text
            r = await c.post("/api/plans", json={"title": "计划", "sections": []}, headers=bearer(_token(key)))
            assert r.status_code == 201, r.text  # mapped realm roles reached the permission check
            r = await c.post("/api/plans", json={"title": "计划"}, headers=bearer(_token(key, realm_access={"roles": ["school"]})))
            assert r.status_code == 403
            for bad, code in ((_token(_key()), "invalid_token"), (_token(key, iss="https://evil.example"), "invalid_token"),
                              (_token(key, aud="other"), "invalid_token"), (_token(key, exp=int(time.time()) - 60), "token_expired")):
                r = await c.get("/api/plans", headers=bearer(bad))
                assert r.status_code == 401 and r.json()["error"]["code"] == code


async def test_oidc_roles_need_an_explicit_map(make_settings) -> None:
    """Issue 12: realm-wide roles of the identity provider grant no duban role unless OIDC_ROLE_MAP names them."""
    key = _key()
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "use": "sig", "alg": "RS256"}
    idp = Starlette(routes=[Route("/certs", lambda _r: JSONResponse({"keys": [jwk]}))])
    async with serving(idp) as idp_url:
        app = create_app(make_settings(PlanSettings, oidc_issuer=ISSUER, oidc_jwks_url=f"{idp_url}/certs"))
        async with running(app) as c:
            # Even a top-level "roles" claim of the provider is not taken as duban roles without the map.
            tok = _token(key, roles=["admin", "plan_admin"])
            assert (await c.get("/api/plans", headers=bearer(tok))).status_code == 200
            r = await c.post("/api/plans", json={"title": "计划", "sections": []}, headers=bearer(tok))
            assert r.status_code == 403, r.text
