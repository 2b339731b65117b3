"""Read a directory from CSV or XLSX (row-level errors, parents first); write one for ops and tests."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from task_svc.directory.records import KINDS, SCHOOL_TYPES, UnitRecord

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
CODE_MAX, NAME_MAX = 64, 128
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
FIELDS = ("code", "name", "kind", "parent_code", "school_type", "enrolment", "email", "leader_name", "leader_email", "active")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ACTIVE_VALUES = {"": True, "1": True, "true": True, "yes": True, "active": True, "是": True, "启用": True, "正常": True, "在用": True,
                  "0": False, "false": False, "no": False, "inactive": False, "否": False, "停用": False, "撤销": False, "注销": False}
REQUIRED = ("code", "name", "kind")

_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "编码", "单位编码", "代码", "单位代码"),
    "name": ("name", "名称", "单位名称"),
    "kind": ("kind", "类型", "单位类型", "单位类别"),
    "parent_code": ("parent_code", "parent", "上级编码", "上级单位编码", "上级代码", "上级单位代码"),
    "school_type": ("school_type", "学校类型", "学段"),
    "enrolment": ("enrolment", "enrollment", "在校生数", "学生数", "在校学生数"),
    "email": ("email", "邮箱", "电子邮箱", "单位邮箱"),
    "leader_name": ("leader_name", "负责人", "负责人姓名", "联系人"),
    "leader_email": ("leader_email", "负责人邮箱", "联系人邮箱"),
    "active": ("active", "状态", "是否启用", "启用"),
}
_HEADER_LOOKUP = {alias.lower(): f for f, aliases in _HEADER_ALIASES.items() for alias in aliases}
HEADER_ZH = {"code": "单位编码", "name": "单位名称", "kind": "单位类型", "parent_code": "上级编码", "school_type": "学校类型",
             "enrolment": "在校生数", "email": "电子邮箱", "leader_name": "负责人", "leader_email": "负责人邮箱", "active": "状态"}

KIND_ZH = {"city": "市局", "department": "处室", "district": "区县", "school": "学校"}
SCHOOL_TYPE_ZH = {"kindergarten": "幼儿园", "primary": "小学", "junior": "初中", "senior": "高中", "vocational": "中职",
                  "special": "特教", "university": "高校"}
_KIND_VALUES = {**{k: k for k in KINDS}, **{v: k for k, v in KIND_ZH.items()},
                "市教育局": "city", "科室": "department", "区县教育局": "district", "区县局": "district"}
_SCHOOL_TYPE_VALUES = {**{t: t for t in SCHOOL_TYPES}, **{v: t for t, v in SCHOOL_TYPE_ZH.items()},
                       "普通高中": "senior", "中等职业学校": "vocational", "职高": "vocational", "特殊教育": "special",
                       "特殊教育学校": "special", "高等学校": "university", "大学": "university"}


class DirectoryFileError(Exception):
    """The file as a whole cannot be imported."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RowError:
    """A rejected row: its row number in the file, the unit code (if any), and why."""

    row: int
    code: str
    message: str


@dataclass
class ParsedDirectory:
    """What a file held: good records (parents first), rejected rows, and how many data rows there were."""

    records: list[UnitRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # Excel stores a numeric code such as 3302030001 as a float
    return str(v).strip()


def _csv_rows(data: bytes) -> Generator[list[str], None, None]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DirectoryFileError("unreadable_file", "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")
    if "\x00" in text:
        raise DirectoryFileError("unreadable_file", "文件内容不是文本格式的 CSV，请检查文件")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [_cell(c) for c in row]
    except csv.Error as exc:
        raise DirectoryFileError("unreadable_file", f"CSV 格式有误：{exc}") from exc


def _xlsx_rows(data: bytes) -> Generator[list[str], None, None]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or non-xlsx file
        raise DirectoryFileError("unreadable_file", "无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏") from exc
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            return
        for row in ws.iter_rows(values_only=True):
            yield [_cell(c) for c in row]
    except Exception as exc:  # damaged sheet XML surfaces only while iterating, as any of several types
        raise DirectoryFileError("unreadable_file", "Excel 文件内容已损坏，无法读取") from exc
    finally:
        wb.close()


def _rows_of(data: bytes, filename: str) -> Generator[list[str], None, None]:
    name = filename.lower().strip()
    ext = name.rsplit(".", 1)[1] if "." in name else ""
    if ext in ("xlsx", "xlsm") or (not ext and data[:4] == b"PK\x03\x04"):
        return _xlsx_rows(data)
    if ext in ("csv", "txt", ""):
        return _csv_rows(data)
    if ext == "xls":
        raise DirectoryFileError("unsupported_file_type", "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入")
    raise DirectoryFileError("unsupported_file_type", f"不支持 .{ext} 文件，请上传 CSV 或 XLSX 文件")


def _header_map(row: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        key = _HEADER_LOOKUP.get(cell.strip().lstrip("\ufeff").replace(" ", "").lower())
        if key and key not in found:
            found[key] = i
    return found


@dataclass(frozen=True)
class _Row:
    row: int
    rec: UnitRecord


FORMULA_START = frozenset("=+-@\t\r")


def _check_row(n: int, cells: dict[str, str]) -> UnitRecord | RowError:
    code, name = cells["code"], cells["name"]
    if not code:
        return RowError(n, "", "缺少单位编码")
    if len(code) > CODE_MAX or not _CODE_RE.match(code):
        return RowError(n, code[:CODE_MAX], f"单位编码“{code[:CODE_MAX]}”不合规：只能用字母、数字、点、横线和下划线，不超过 {CODE_MAX} 个字符")
    if not name:
        return RowError(n, code, "缺少单位名称")
    if len(name) > NAME_MAX:
        return RowError(n, code, f"单位名称过长（不超过 {NAME_MAX} 个字）")
    if name[0] in FORMULA_START:  # a spreadsheet would run it as a formula when the name is exported
        return RowError(n, code, "单位名称不能以 = + - @ 开头")
    kind = _KIND_VALUES.get(cells["kind"].lower())
    if kind is None:
        shown = cells["kind"] or "（空）"
        return RowError(n, code, f"单位类型“{shown}”无效，应为 市局/处室/区县/学校（city/department/district/school）")
    raw_type = cells["school_type"]
    school_type = _SCHOOL_TYPE_VALUES.get(raw_type.lower()) if raw_type else None
    if raw_type and school_type is None:
        return RowError(n, code, f"学校类型“{raw_type}”无效，应为 幼儿园/小学/初中/高中/中职/特教/高校")
    if kind == "school" and school_type is None:
        return RowError(n, code, "学校必须填写学校类型（幼儿园/小学/初中/高中/中职/特教/高校）")
    if kind != "school" and school_type is not None:
        return RowError(n, code, "只有学校可以填写学校类型")
    parent = cells["parent_code"] or None
    if parent == code:
        return RowError(n, code, "上级编码不能是本单位自己")
    extra = _check_extra(n, code, cells)
    if isinstance(extra, RowError):
        return extra
    return UnitRecord(code=code, name=name, kind=kind, parent_code=parent, school_type=school_type, **extra)


def _check_extra(n: int, code: str, cells: dict[str, str]) -> dict[str, object] | RowError:
    """Enrolment, contacts and status: optional columns, empty cells mean "not given"."""
    out: dict[str, object] = {}
    raw = cells["enrolment"].replace(",", "")
    if raw:
        if not raw.isdigit() or int(raw) > 1_000_000:
            return RowError(n, code, f"在校生数“{cells['enrolment']}”应为 0 到 1000000 之间的整数")
        out["enrolment"] = int(raw)
    for f, label in (("email", "电子邮箱"), ("leader_email", "负责人邮箱")):
        if cells[f]:
            if len(cells[f]) > 254 or not _EMAIL_RE.match(cells[f]):
                return RowError(n, code, f"{label}“{cells[f][:60]}”格式不正确")
            out[f] = cells[f]
    if cells["leader_name"]:
        if len(cells["leader_name"]) > 64:
            return RowError(n, code, "负责人姓名过长（不超过 64 个字）")
        out["leader_name"] = cells["leader_name"]
    active = _ACTIVE_VALUES.get(cells["active"].lower())
    if active is None:
        return RowError(n, code, f"状态“{cells['active']}”无效，应为 启用/停用（active/inactive）")
    out["active"] = active
    return out


def _cycle(ring: list[str]) -> str:
    return "上级关系形成循环：" + " → ".join([*ring, ring[0]])


def _resolve_parents(rows: list[_Row], known_codes: set[str], known_parents: Mapping[str, str | None],
                     rejected: dict[str, int]) -> tuple[list[UnitRecord], list[RowError]]:
    """Keep rows whose parent exists and that close no cycle, parents first; report the rest."""
    by_code = {r.rec.code: r for r in rows}
    ok: dict[str, bool] = {}
    errors: list[RowError] = []
    ordered: list[UnitRecord] = []

    def settle(r: _Row, err: RowError | None) -> None:
        ok[r.rec.code] = err is None
        if err is None:
            ordered.append(r.rec)
        else:
            errors.append(err)

    def outside(r: _Row) -> RowError | None:
        """Check a row whose parent is not a row of this file."""
        code, parent = r.rec.code, r.rec.parent_code
        if parent is None:
            return None
        if parent in known_codes:
            # Re-parenting an existing unit under one of its own descendants would close a cycle.
            seen, up = {parent}, known_parents.get(parent)
            while up is not None and up not in seen:
                if up == code:
                    return RowError(r.row, code, f"上级关系形成循环：“{parent}”是“{code}”的下级单位")
                seen.add(up)
                up = by_code[up].rec.parent_code if up in by_code else known_parents.get(up)
            return None
        if parent in rejected:
            return RowError(r.row, code, f"上级单位“{parent}”（第 {rejected[parent]} 行）有错误，未能导入")
        return RowError(r.row, code, f"上级编码“{parent}”不存在：既不在文件中，也不在现有名录中")

    for start in rows:
        # Walk up through rows of this file until a settled row, a cycle, or a parent outside the file.
        path: list[str] = []
        index: dict[str, int] = {}
        cur = start.rec.code
        while cur not in ok:
            if cur in index:
                ring = path[index[cur]:]
                for c in ring:
                    settle(by_code[c], RowError(by_code[c].row, c, _cycle(ring[ring.index(c):] + ring[:ring.index(c)])))
                del path[index[cur]:]
                break
            index[cur] = len(path)
            path.append(cur)
            parent = by_code[cur].rec.parent_code
            if parent in by_code:
                cur = parent
                continue
            settle(by_code[path.pop()], outside(by_code[cur]))
            break
        for c in reversed(path):
            r = by_code[c]
            parent = r.rec.parent_code
            assert parent is not None
            settle(r, None if ok[parent] else RowError(r.row, c, f"上级单位“{parent}”（第 {by_code[parent].row} 行）未能导入"))
    return ordered, errors


def read_directory_file(data: bytes, filename: str, *, known_codes: set[str],
                        known_parents: Mapping[str, str | None] | None = None) -> ParsedDirectory:
    """Parse a CSV/XLSX directory; whole-file problems raise DirectoryFileError, bad rows are reported."""
    if len(data) > MAX_FILE_BYTES:
        raise DirectoryFileError("file_too_large", f"文件过大，上限为 {MAX_FILE_BYTES // 1024 // 1024} MB")
    if not data.strip():
        raise DirectoryFileError("empty_file", "文件是空的")
    out = ParsedDirectory()
    header: dict[str, int] | None = None
    best: dict[str, int] = {}
    lines_before_header = 0
    good: list[_Row] = []
    row_errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    rejected: dict[str, int] = {}
    with closing(_rows_of(data, filename)) as rows:
        for n, row in enumerate(rows, 1):
            if not any(row):
                continue
            if header is None:
                # A title line or two above the header row is common in spreadsheets.
                lines_before_header += 1
                found = _header_map(row)
                if all(f in found for f in REQUIRED):
                    header = found
                elif len(found) > len(best):
                    best = found
                if header is None and lines_before_header >= 10:
                    break
                continue
            out.total_rows += 1
            if out.total_rows > MAX_ROWS:
                raise DirectoryFileError("too_many_rows", f"行数过多，一次最多导入 {MAX_ROWS} 行")
            cells = {f: (row[i] if (i := header.get(f, -1)) >= 0 and i < len(row) else "") for f in FIELDS}
            checked = _check_row(n, cells)
            if isinstance(checked, RowError):
                row_errors.append(checked)
                if checked.code:
                    rejected.setdefault(checked.code, n)
            elif checked.code in first_row_of:
                row_errors.append(RowError(n, checked.code, f"单位编码“{checked.code}”与第 {first_row_of[checked.code]} 行重复"))
            else:
                first_row_of[checked.code] = n
                good.append(_Row(n, checked))
    if header is None:
        if lines_before_header == 0:
            raise DirectoryFileError("empty_file", "文件是空的")
        missing = "、".join(HEADER_ZH[f] for f in REQUIRED if f not in best)
        raise DirectoryFileError("missing_columns", f"缺少必需的列：{missing}（表头可用中文或英文：单位编码/code、单位名称/name、单位类型/kind）")
    if out.total_rows == 0:
        raise DirectoryFileError("empty_file", "文件中没有单位数据（只有表头）")
    rejected = {c: r for c, r in rejected.items() if c not in first_row_of}
    out.records, parent_errors = _resolve_parents(good, known_codes, known_parents or {}, rejected)
    out.errors = sorted(row_errors + parent_errors, key=lambda e: e.row)
    return out


def _table(records: Iterable[UnitRecord], chinese: bool) -> Iterator[list[str]]:
    yield [HEADER_ZH[f] for f in FIELDS] if chinese else list(FIELDS)
    for r in records:
        kind = KIND_ZH[r.kind] if chinese else r.kind
        st = (SCHOOL_TYPE_ZH[r.school_type] if chinese else r.school_type) if r.school_type else ""
        status = ("启用" if r.active else "停用") if chinese else ("active" if r.active else "inactive")
        yield [r.code, r.name, kind, r.parent_code or "", st, "" if r.enrolment is None else str(r.enrolment), r.email or "",
               r.leader_name or "", r.leader_email or "", status]


def write_directory_csv(records: Iterable[UnitRecord], path: Path | str | None = None, *, chinese: bool = False) -> bytes:
    """The records as UTF-8 CSV with a BOM (so Excel opens it right); also written to path if given."""
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(_table(records, chinese))
    data = buf.getvalue().encode("utf-8-sig")
    if path is not None:
        Path(path).write_bytes(data)
    return data


def write_directory_xlsx(records: Iterable[UnitRecord], path: Path | str | None = None, *, chinese: bool = False) -> bytes:
    """The records as an XLSX workbook; also written to path if given."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("单位名录")
    for row in _table(records, chinese):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
