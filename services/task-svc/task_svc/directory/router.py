"""GET /api/directory/units, POST /api/directory/import."""

from typing import Literal

from fastapi import APIRouter, Query, UploadFile

from duban_shared.app import CtxDep, SessionDep
from duban_shared.auth import CurrentUser
from duban_shared.errors import AppError, forbidden, not_found
from task_svc.directory import service
from task_svc.directory.importer import DirectoryFileError, read_directory_file
from task_svc.directory.models import Unit, UnitPublic
from task_svc.directory.schemas import ImportRowError, ImportSummary, UnitPage

router = APIRouter(prefix="/api/directory", tags=["directory"])

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@router.get("/units", response_model=UnitPage)
async def list_units(
    session: SessionDep,
    _user: CurrentUser,
    kind: Literal["city", "department", "district", "school"] | None = None,
    parent_id: str | None = Query(default=None, max_length=36),
    school_type: Literal["kindergarten", "primary", "junior", "senior", "vocational", "special", "university"] | None = None,
    q: str | None = Query(default=None, max_length=64),
    limit: int = Query(default=100, ge=1, le=2000),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> UnitPage:
    """Units of the directory, filtered and paged."""
    rows, total = await service.list_units(session=session, kind=kind, parent_id=parent_id, school_type=school_type, q=q, limit=limit, offset=offset)
    return UnitPage(items=[UnitPublic.model_validate(u, from_attributes=True) for u in rows], total=total)


@router.get("/units/{unit_id}", response_model=UnitPublic)
async def get_unit(unit_id: str, session: SessionDep, _user: CurrentUser) -> UnitPublic:
    """One unit."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise not_found("单位")
    return UnitPublic.model_validate(unit, from_attributes=True)


@router.post("/import", response_model=ImportSummary)
async def import_units(file: UploadFile, session: SessionDep, ctx: CtxDep, user: CurrentUser) -> ImportSummary:
    """Import units from CSV or XLSX; good rows are applied, bad rows are reported."""
    if not user.is_admin:
        raise forbidden("只有市教育局系统管理员可以导入单位名录")
    data = await file.read(MAX_IMPORT_BYTES + 1)
    try:
        parents = await service.known_parents(session=session)
        parsed = read_directory_file(data, file.filename or "", known_codes=set(parents), known_parents=parents)
    except DirectoryFileError as exc:
        raise AppError(413 if exc.code == "file_too_large" else 400, exc.code, exc.message) from exc
    summary = await service.upsert_units(session=session, outbox=ctx.outbox, records=parsed.records,
                                         default_password=ctx.settings.unit_password if ctx.settings.demo_mode else None)  # type: ignore[attr-defined]
    await session.commit()
    return ImportSummary(
        total_rows=parsed.total_rows, created=summary.created, updated=summary.updated, unchanged=summary.unchanged,
        rejected=len(parsed.errors), accounts_created=summary.accounts_created,
        tasks_withdrawn=summary.tasks_withdrawn, tasks_joined=summary.tasks_joined,
        errors=[ImportRowError(row=e.row, code=e.code, message=e.message) for e in parsed.errors],
    )
