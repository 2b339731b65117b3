"""task-svc checks token versions (and OIDC units) against its own tables on every request."""

from __future__ import annotations

from duban_shared.auth import Principal
from duban_shared.db import Database
from duban_shared.errors import AppError
from task_svc.auth import service


class LocalTokenGuard:
    """Revoked, deactivated or stale tokens are refused at once; OIDC tokens must name a unit of the directory."""

    def __init__(self, db: Database, *, oidc: bool) -> None:
        self.db = db
        self.oidc = oidc

    async def check(self, p: Principal) -> None:
        """Raise 401 unless the token still stands for an active account (or a known unit)."""
        async with self.db.sessionmaker() as session:
            if self.oidc:
                if p.unit_id is not None and not await service.unit_known(session=session, unit_id=p.unit_id):
                    raise AppError(401, "unknown_unit", "登录凭证中的单位不在单位名录中")
                return
            if p.token_version is None:
                return
            if not await service.token_current(session=session, username=p.username, version=p.token_version):
                raise AppError(401, "token_revoked", "登录已失效，请重新登录")
