"""The appendix table of key tasks, as scraped: one cell per line, some cells split over several lines."""

from __future__ import annotations

import re
from typing import Any

from plan_svc.parsing.deadlines import find_deadline_text
from plan_svc.parsing.headlines import join_lines
from plan_svc.parsing.indicators import find_indicators
from plan_svc.parsing.markers import classify, is_signature
from plan_svc.parsing.units import split_units

_COLUMNS = {
    "number": ("序号", "编号"),
    "title": ("主要工作", "重点工作", "重点任务", "工作任务", "主要任务", "任务名称", "工作项目", "项目名称", "工作事项", "事项", "任务"),
    "body": ("工作内容", "任务内容", "具体内容", "主要内容", "工作措施", "具体措施", "主要措施", "目标任务", "工作目标", "具体任务", "内容"),
    "leader": ("分管局领导", "分管领导", "责任领导", "牵头领导", "联系领导", "局领导"),
    "lead_units": ("主要责任单位", "主要责任处室", "主责单位", "牵头处室", "牵头单位", "牵头部门", "牵头科室", "主责处室", "责任处室", "责任单位", "责任部门", "责任科室"),
    "supporting_units": ("协同配合单位", "协同单位", "协作单位", "配合处室", "配合单位", "配合部门", "协办处室", "协办单位", "参与单位"),
    "deadline": ("完成时限", "完成时间", "时间节点", "时间安排", "进度安排", "时限"),
    "remark": ("备注",),
}
_LABELS = sorted(((lab, col) for col, labs in _COLUMNS.items() for lab in labs), key=lambda p: -len(p[0]))
_ROW_NO = re.compile(r"^(\d{1,3})[.、]?$")
_UNIT_END = re.compile(r"(?:处|室|科|股|局|委|办|馆|站|所|院|中心|会|部|部门|组|队|校|学校|中小学|幼儿园|团|专班|党委|党组织|单位)$")
_NAME = re.compile(r"^(?:[\u4e00-\u9fff·]{2,4}|[*X×]{1,4}|.{0,4}(?:局长|书记|主任|巡视员|调研员|组长))(?:、(?:[\u4e00-\u9fff·]{2,4}|[*X×]{1,4}))*$")
_MAX_ROW_JUMP = 20
_ORG_ONLY = re.compile(r"^[^\d（(]+$")
_CN_ROW = re.compile(r"^[一二三四五六七八九十]{1,3}$")
_DATE_CELL = re.compile(r"\d{1,2}月|[一二三四五六七八九十]{1,2}月|年底|年内|年中|年末|季度|全年|长期|持续|上半年|下半年|学期|开学|春季|秋季|暑假|国庆|\d{4}年")


def _without_signature(lines: list[str]) -> list[str]:
    """Table lines without a closing signature; a unit name alone (电教中心) is a cell, not a signature."""
    end = len(lines)
    while end and is_signature(lines[end - 1]) and not _ORG_ONLY.match(lines[end - 1]):
        end -= 1
    if end < len(lines) and end and is_signature(lines[end - 1]):
        end -= 1  # the issuer above the date
    return lines[:end]


def _section_row(line: str) -> bool:
    mk = classify(line)
    return mk is not None and mk.kind == "section" and len(line) <= 30 or bool(_CN_ROW.match(line))


def _header(lines: list[str], start: int) -> tuple[list[str], int] | None:
    """Column kinds of the header that starts at lines[start] ('序号'), and the index after it."""
    end = start
    while end < len(lines) and end - start < 12 and not _ROW_NO.match(lines[end]) and not _section_row(lines[end]):
        end += 1
    text = "".join(lines[start:end])
    cols: list[str] = []
    pos = 0
    while pos < len(text):
        hit = next(((lab, col) for lab, col in _LABELS if text.startswith(lab, pos)), None)
        if hit is None:
            if not cols or cols[-1] != "other":
                cols.append("other")
            pos += 1
            continue
        cols.append(hit[1])
        pos += len(hit[0])
    if cols[:1] != ["number"] or not ({"title", "body"} & set(cols)) or end >= len(lines):
        return None
    return cols, end


def _is_unit_line(s: str) -> bool:
    return len(s) <= 40 and not re.search(r"[。，；：%\d]", s) and bool(_UNIT_END.search(s) or s.endswith("、") or s.startswith(("、", "各")))


def _fits(col: str, cell: str) -> bool:
    """Whether a cell can belong to a column whose content has a recognisable kind."""
    if col == "deadline":
        return bool(_DATE_CELL.search(cell))
    if col.endswith("units"):
        return _is_unit_line(cell)
    return True


def _assign(cells: list[str], cols: list[str]) -> dict[str, str]:
    """Map a row's lines onto its columns: single-line columns from both ends, the long text column takes the rest."""
    cols = [c for c in cols if c != "number"]
    if len(cells) == len(cols) and all(_fits(c, x) for c, x in zip(cols, cells)):
        return dict(zip(cols, cells))
    long_col = "body" if "body" in cols else "title"
    k = cols.index(long_col)
    head, tail = cols[:k], cols[k + 1:]
    out: dict[str, str] = {}
    i, j = 0, len(cells)
    for c in head:
        if i < j:
            out[c] = cells[i]
            i += 1
            while c == "title" and j - i > len(tail) + 1 and len(cells[i]) <= 6 and not re.search(r"[，。；：、]", cells[i]):
                out[c] += cells[i]
                i += 1
    for n, c in enumerate(reversed(tail)):
        if j <= i:
            break
        # A flattened table drops empty cells: a column whose cell does not look like its kind was empty.
        if not _fits(c, cells[j - 1]):
            out[c] = ""
            continue
        take = 1
        before = tail[len(tail) - n - 2] if n + 1 < len(tail) else None
        if c in ("lead_units", "supporting_units"):
            if before == "leader":
                k2 = next((x for x in range(j - 1, max(i, j - 5) - 1, -1) if _NAME.match(cells[x]) and not _UNIT_END.search(cells[x])), None)
                take = j - k2 - 1 if k2 is not None and k2 < j - 1 else 1
            while j - take - 1 >= i + 1 and (cells[j - take - 1].endswith("、") or cells[j - take].startswith("、")):
                take += 1
        out[c] = ("、" if c.endswith("units") else "").join(cells[j - take:j])
        j -= take
    out[long_col] = join_lines(cells[i:j])
    if not out.get("lead_units") and out.get("supporting_units"):
        out["lead_units"], out["supporting_units"] = out["supporting_units"], ""
    return out


def parse_key_tasks(lines: list[str], year: int | None) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of the first key-task table in lines, and warnings about rows that did not fit."""
    start = next((i for i, x in enumerate(lines) if x.startswith("序号") and len(x) <= 60), None)
    head = _header(lines, start) if start is not None else None
    if head is None:
        return [], []
    cols, i = head
    rows: list[tuple[int, str | None, list[str]]] = []
    group: str | None = None
    body = _without_signature(lines[i:])
    for k, line in enumerate(body):
        m = _ROW_NO.match(line)
        last = rows[-1][0] if rows else 0
        if m and last < int(m.group(1)) <= last + _MAX_ROW_JUMP:  # row numbers may skip, never go back
            rows.append((int(m.group(1)), group, []))
            continue
        mk = classify(line)
        if mk is not None and mk.kind == "section" and len(line) <= 30:
            group = mk.rest
            continue
        if _CN_ROW.match(line) and k + 1 < len(body) and len(body[k + 1]) <= 30 and not _ROW_NO.match(body[k + 1]):
            group = None  # a section row split over two cells (一 / 党的建设): the next line names it
            continue
        if group is None and k > 0 and _CN_ROW.match(body[k - 1]):
            group = line
            continue
        if rows:
            rows[-1][2].append(line)
    out: list[dict[str, Any]] = []
    warnings: list[str] = []
    short = [n for n, _, cells in rows if len(cells) < len([c for c in cols if c != "number"])]
    for number, grp, cells in rows:
        v = _assign(cells, cols)
        body = v.get("body", "")
        title = v.get("title") or re.split(r"[。；]", body, maxsplit=1)[0][:60] or f"第{number}项"
        task: dict[str, Any] = {
            "number": number, "title": title.rstrip("。；，、"), "body": body, "leader": v.get("leader") or None,
            "lead_units": split_units(v.get("lead_units", "")), "indicators": find_indicators(body),
        }
        if "supporting_units" in v:
            task["supporting_units"] = split_units(v["supporting_units"])
        if "deadline" in cols:
            when = v.get("deadline", "")
            task["deadline"], task["deadline_text"] = find_deadline_text(when, year) if _DATE_CELL.search(when) else (None, None)
            if when and not task["deadline_text"]:
                task["deadline_text"] = when
        if grp:
            task["group"] = grp
        out.append(task)
    if short:
        warnings.append(f"重点工作任务表第{'、'.join(map(str, short[:10]))}行的单元格比表头少，可能有空白或合并的单元格，请核对。")
    return out, warnings
