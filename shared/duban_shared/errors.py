"""One error shape for every 4xx/5xx: {"error": {"code", "message"}}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_DEFAULT_MESSAGES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "未登录或登录已过期，请重新登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "请求的资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "操作与当前状态冲突"),
    413: ("payload_too_large", "提交的内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_error", "提交的数据不符合要求"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    502: ("upstream_unavailable", "后台服务暂不可用，请稍后再试"),
    503: ("unavailable", "服务暂不可用，请稍后再试"),
}


class AppError(Exception):
    """An error a client can act on; raised by service code, rendered by the handler."""

    def __init__(self, status: int, code: str, message: str, details: object | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers: dict[str, str] | None = None  # e.g. Retry-After on a 429


def not_found(what: str = "资源") -> AppError:
    """404 with a Chinese message naming what was missing."""
    return AppError(404, "not_found", f"{what}不存在")


def forbidden(message: str = "没有权限执行此操作") -> AppError:
    """403."""
    return AppError(403, "forbidden", message)


def conflict(code: str, message: str) -> AppError:
    """409 for an action the current state does not allow."""
    return AppError(409, code, message)


def error_body(code: str, message: str, details: object | None = None) -> dict[str, object]:
    """The JSON error body."""
    err: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        err["details"] = details
    return {"error": err}


def _field_path(loc: tuple[object, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path"))


def install_error_handlers(app: FastAPI) -> None:
    """Register handlers so no response escapes the error shape."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            return JSONResponse(error_body("invalid_json", "请求内容不是有效的 JSON"), status_code=422)
        details = [{"field": _field_path(tuple(e.get("loc", ()))), "message": str(e.get("msg"))} for e in errs]
        first = details[0]["field"] if details else ""
        msg = f"字段 {first} 不符合要求" if first else "提交的数据不符合要求"
        return JSONResponse(error_body("validation_error", msg, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _DEFAULT_MESSAGES.get(exc.status_code, ("error", "请求失败"))
        if isinstance(exc.detail, str) and exc.detail and exc.status_code not in (404, 405):
            message = exc.detail
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(OperationalError)
    async def _database(_: Request, exc: OperationalError) -> JSONResponse:
        if "database is locked" not in str(exc.orig):
            log.exception("database error")
            return JSONResponse(error_body("internal_error", "服务器内部错误，已记录，请稍后再试"), status_code=500)
        # SQLite has one writer; under a long burst of writes a waiter can time out. Its transaction was
        # rolled back, so nothing was half-done: the client may simply retry.
        log.warning("database busy, request refused with 503: %s", (exc.statement or "")[:200])
        return JSONResponse(error_body("database_busy", "数据库正忙（正在写入大量数据），本次操作未执行，请稍后重试"),
                            status_code=503, headers={"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("internal_error", "服务器内部错误，已记录，请稍后再试"), status_code=500)
