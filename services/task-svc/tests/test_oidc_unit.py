"""Issue 12: an OIDC token's unit_id is checked against the directory, not taken on trust."""

from __future__ import annotations

import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from duban_shared.testing.services import bearer, running, serving
from task_svc.config import TaskSettings
from task_svc.directory.records import unit_id_for
from task_svc.main import create_app

ISSUER = "https://idp.bureau.example/realms/duban"


async def test_oidc_token_must_name_a_unit_of_the_directory(make_settings) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "use": "sig", "alg": "RS256"}

    def token(unit_id: str) -> str:
        now = int(time.time())
        body = {"sub": "wang.wu", "iss": ISSUER, "aud": "duban", "iat": now, "exp": now + 600, "unit_id": unit_id,
                "unit_kind": "district", "roles": ["duban-district"]}
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})

    idp = Starlette(routes=[Route("/certs", lambda _r: JSONResponse({"keys": [jwk]}))])
    async with serving(idp) as idp_url:
        app = create_app(make_settings(TaskSettings, demo_directory=True, oidc_issuer=ISSUER, oidc_jwks_url=f"{idp_url}/certs",
                                       oidc_role_map="duban-district=district operator"))
        async with running(app) as c:
            haishu = unit_id_for("haishu")
            r = await c.get("/api/auth/me", headers=bearer(token(haishu)))
            assert r.status_code == 200, r.text
            assert set(r.json()["roles"]) == {"district", "operator"}
            r = await c.get("/api/auth/me", headers=bearer(token("u-made-up")))
            assert r.status_code == 401 and r.json()["error"]["code"] == "unknown_unit"
