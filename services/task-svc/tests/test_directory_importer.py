"""Reading directory files: encodings, XLSX, Chinese headers, row errors, whole-file errors."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from task_svc.directory.demo import generate_demo_directory
from task_svc.directory.importer import (
    MAX_FILE_BYTES,
    DirectoryFileError,
    read_directory_file,
    write_directory_csv,
    write_directory_xlsx,
)
from task_svc.directory.records import UnitRecord

SMALL = [
    UnitRecord("city", "明州市教育局", "city"),
    UnitRecord("d-jjc", "基础教育处", "department", "city"),
    UnitRecord("haishu", "海曙区教育局", "district", "city"),
    UnitRecord("haishu-p001", "明州市海曙区实验小学", "school", "haishu", "primary"),
    UnitRecord("haishu-k001", "海曙区机关幼儿园", "school", "haishu", "kindergarten"),
    UnitRecord("city-u001", "明州大学", "school", "city", "university"),
]

ZH_CSV = """单位编码,单位名称,单位类型,上级编码,学校类型
city,明州市教育局,市局,,
d-jjc,基础教育处,处室,city,
haishu,海曙区教育局,区县,city,
haishu-p001,明州市海曙区实验小学,学校,haishu,小学
haishu-k001,海曙区机关幼儿园,学校,haishu,幼儿园
city-u001,明州大学,学校,city,高校
"""


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _read(text: str, known: set[str] | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return read_directory_file(text.encode(), "units.csv", known_codes=known or set(), **kw)  # type: ignore[arg-type]


def _errors(parsed) -> dict[int, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {e.row: (e.code, e.message) for e in parsed.errors}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings_with_chinese_headers_and_values(encoding: str) -> None:
    """UTF-8 with or without BOM and GBK/GB18030 (Excel on Chinese Windows) read the same."""
    parsed = read_directory_file(ZH_CSV.encode(encoding), "名录.csv", known_codes=set())
    assert parsed.errors == []
    assert parsed.total_rows == 6
    assert parsed.records == SMALL


def test_english_headers_any_case_and_order() -> None:
    """English headers in any order and case; kind and school type values in English."""
    text = "Name,CODE,school_type,Kind,parent_code\n明州市教育局,city,,CITY,\n海曙区教育局,haishu,,district,city\n海曙区机关幼儿园,haishu-k001,Kindergarten,school,haishu\n"
    parsed = _read(text)
    assert parsed.errors == []
    assert parsed.records == [SMALL[0], SMALL[2], SMALL[4]]


def test_alternative_chinese_headers_title_row_and_blank_lines() -> None:
    """编码/名称/类型/上级编码/学校类型 headers under a title line; blank lines are skipped, row numbers stay true."""
    text = "明州市教育系统单位名录（2026）,,,,\n\n编码,名称,类型,上级编码,学校类型\nhaishu,海曙区教育局,区县,city,\n\n,,,,\nhaishu-p001,明州市海曙区实验小学,学校,haishu,小学\nhaishu-x,坏行,学校,haishu,\n"
    parsed = _read(text, {"city"})
    assert parsed.total_rows == 3
    assert [r.code for r in parsed.records] == ["haishu", "haishu-p001"]
    assert _errors(parsed) == {8: ("haishu-x", "学校必须填写学校类型（幼儿园/小学/初中/高中/中职/特教/高校）")}


def test_tab_separated_and_optional_columns() -> None:
    """Tab-separated text works; parent_code and school_type columns are optional."""
    parsed = _read("code\tname\tkind\ncity\t明州市教育局\tcity\n")
    assert parsed.records == [SMALL[0]]


@pytest.mark.parametrize("chinese", [False, True])
def test_xlsx_and_csv_roundtrip_of_the_demo_directory(tmp_path: Path, chinese: bool) -> None:
    """The whole demo directory written as XLSX or CSV (English or Chinese) reads back unchanged."""
    demo = generate_demo_directory()
    xlsx = write_directory_xlsx(demo, tmp_path / "demo.xlsx", chinese=chinese)
    assert (tmp_path / "demo.xlsx").read_bytes() == xlsx
    parsed = read_directory_file(xlsx, "demo.xlsx", known_codes=set())
    assert parsed.errors == [] and parsed.total_rows == len(demo)
    assert parsed.records == demo
    data = write_directory_csv(demo, tmp_path / "demo.csv", chinese=chinese)
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_directory_file(data, "demo.csv", known_codes=set()).records == demo


def test_xlsx_numeric_codes_and_title_row() -> None:
    """A code Excel stored as a number is read as digits; a title row above the header is skipped."""
    data = _xlsx([["单位名录"], ["单位编码", "单位名称", "单位类型", "上级编码", "学校类型"],
                  [3302030001, "海曙区第二中学", "学校", "haishu", "初中"], [None, None, None, None, None]])
    parsed = read_directory_file(data, "名录.XLSX", known_codes={"haishu"})
    assert parsed.errors == [] and parsed.total_rows == 1
    assert parsed.records == [UnitRecord("3302030001", "海曙区第二中学", "school", "haishu", "junior")]


def test_xlsx_without_extension_is_sniffed() -> None:
    """A file with no extension is read as XLSX when it is a zip, otherwise as CSV."""
    assert read_directory_file(write_directory_xlsx(SMALL), "upload", known_codes=set()).records == SMALL
    assert read_directory_file(write_directory_csv(SMALL), "upload", known_codes=set()).records == SMALL


def test_every_row_error_is_reported_and_good_rows_kept() -> None:
    """Each kind of bad row is rejected with its row number and a Chinese message; the rest import."""
    text = (
        "code,name,kind,parent_code,school_type\n"          # row 1
        "d-new,新处室,处室,city,\n"                            # 2 ok (parent already known)
        ",无编码,学校,haishu,小学\n"                            # 3 missing code
        "nameless,,学校,haishu,小学\n"                          # 4 missing name
        "badkind,某单位,集团,city,\n"                           # 5 bad kind
        "badtype,某学校,学校,haishu,大专\n"                      # 6 bad school type
        "notype,某小学,学校,haishu,\n"                          # 7 school without type
        "dup,甲小学,学校,haishu,小学\n"                          # 8 ok
        "dup,乙小学,学校,haishu,小学\n"                          # 9 duplicate of row 8
        "orphan,孤儿学校,学校,nowhere,小学\n"                     # 10 unknown parent
        "a,甲局,区县,b,\n"                                     # 11 cycle a → b → a
        "b,乙局,区县,a,\n"                                     # 12 cycle
        "child,环下学校,学校,a,小学\n"                            # 13 parent in a cycle
        "under-bad,挂在坏行下,学校,badkind,小学\n"                 # 14 parent row was rejected
        "self,自指,区县,self,\n"                               # 15 own parent
        "dtype,某区县,区县,city,小学\n"                           # 16 school type on a non-school
        "has space,空格编码,区县,city,\n"                         # 17 bad code
        f"{'x' * 65},超长编码,区县,city,\n"                       # 18 code too long
        f"longname,{'名' * 129},区县,city,\n"                    # 19 name too long
    )
    parsed = _read(text, {"city", "haishu"})
    assert parsed.total_rows == 18
    assert [r.code for r in parsed.records] == ["d-new", "dup"]
    errors = _errors(parsed)
    assert sorted(errors) == [3, 4, 5, 6, 7, *range(9, 20)]
    assert errors[3] == ("", "缺少单位编码")
    assert errors[4] == ("nameless", "缺少单位名称")
    assert errors[5][0] == "badkind" and "单位类型“集团”无效" in errors[5][1]
    assert errors[6][0] == "badtype" and "学校类型“大专”无效" in errors[6][1]
    assert errors[7] == ("notype", "学校必须填写学校类型（幼儿园/小学/初中/高中/中职/特教/高校）")
    assert errors[9] == ("dup", "单位编码“dup”与第 8 行重复")
    assert errors[10] == ("orphan", "上级编码“nowhere”不存在：既不在文件中，也不在现有名录中")
    assert errors[11] == ("a", "上级关系形成循环：a → b → a")
    assert errors[12] == ("b", "上级关系形成循环：b → a → b")
    assert errors[13] == ("child", "上级单位“a”（第 11 行）未能导入")
    assert errors[14] == ("under-bad", "上级单位“badkind”（第 5 行）有错误，未能导入")
    assert errors[15] == ("self", "上级编码不能是本单位自己")
    assert errors[16] == ("dtype", "只有学校可以填写学校类型")
    assert errors[17][0] == "has space" and "不合规" in errors[17][1]
    assert "不合规" in errors[18][1]
    assert "名称过长" in errors[19][1]


def test_longer_cycle_and_reparenting_into_own_subtree() -> None:
    """A three-unit ring is reported on each row; moving a unit under its own descendant is a cycle too."""
    ring = _read("code,name,kind,parent_code\na,甲,区县,b\nb,乙,区县,c\nc,丙,区县,a\n")
    assert ring.records == []
    assert [e.message for e in ring.errors] == ["上级关系形成循环：a → b → c → a", "上级关系形成循环：b → c → a → b",
                                                "上级关系形成循环：c → a → b → c"]
    # In the directory: city ← haishu ← haishu-p001. Moving haishu under haishu-p001 closes a ring.
    known = {"city": None, "haishu": "city", "haishu-p001": "haishu"}
    moved = _read("code,name,kind,parent_code\nhaishu,海曙区教育局,区县,haishu-p001\n", set(known), known_parents=known)
    assert moved.records == []
    assert moved.errors[0].row == 2 and "循环" in moved.errors[0].message


def test_parents_first_whatever_the_file_order() -> None:
    """Children listed before their parents come back after them; file order is otherwise kept."""
    text = "code,name,kind,parent_code,school_type\nhaishu-p001,明州市海曙区实验小学,学校,haishu,小学\nhaishu,海曙区教育局,区县,city,\ncity,明州市教育局,市局,,\nd-jjc,基础教育处,处室,city,\n"
    parsed = _read(text)
    assert parsed.errors == []
    assert [r.code for r in parsed.records] == ["city", "haishu", "haishu-p001", "d-jjc"]


def test_a_rejected_row_does_not_shadow_a_good_duplicate() -> None:
    """A bad row and a later good row with the same code: the good row is kept, and children may hang off it."""
    text = "code,name,kind,parent_code,school_type\nhaishu,,区县,city,\nhaishu,海曙区教育局,区县,city,\nhaishu-p001,实验小学,学校,haishu,小学\n"
    parsed = _read(text, {"city"})
    assert [r.code for r in parsed.records] == ["haishu", "haishu-p001"]
    assert _errors(parsed) == {2: ("haishu", "缺少单位名称")}


@pytest.mark.parametrize(("data", "filename", "code"), [
    (b"", "units.csv", "empty_file"),
    (b"  \r\n\n", "units.csv", "empty_file"),
    (b"\xef\xbb\xbf\n,,,\n", "units.csv", "empty_file"),
    ("单位编码,单位名称,单位类型\n".encode(), "units.csv", "empty_file"),
    (b"code,name,kind", "units.xls", "unsupported_file_type"),
    (b"%PDF-1.4 ...", "units.pdf", "unsupported_file_type"),
    (b"PK\x03\x04 not really a zip", "units.xlsx", "unreadable_file"),
    (b"plain text, not excel", "units.xlsx", "unreadable_file"),
    (b"\x00\x01\x02binary\x00", "units.csv", "unreadable_file"),
    (bytes(range(128, 256)) * 64, "units.csv", "unreadable_file"),
    ("编码,名称\nx,某单位\n".encode(), "units.csv", "missing_columns"),
    (b"a,b,c\n1,2,3\n", "units.csv", "missing_columns"),
    (b"x" * (MAX_FILE_BYTES + 1), "units.csv", "file_too_large"),
])
def test_whole_file_errors(data: bytes, filename: str, code: str) -> None:
    """Problems with the file as a whole raise DirectoryFileError with a stable code and a Chinese message."""
    with pytest.raises(DirectoryFileError) as info:
        read_directory_file(data, filename, known_codes=set())
    assert info.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in info.value.message)


def test_missing_columns_names_them() -> None:
    """The message says which required columns are missing."""
    with pytest.raises(DirectoryFileError) as info:
        read_directory_file("编码,名称,上级编码\nx,某单位,city\n".encode(), "units.csv", known_codes=set())
    assert "缺少必需的列：单位类型" in info.value.message


def test_damaged_xlsx_inside() -> None:
    """A zip that is not a workbook is unreadable, not a crash."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    with pytest.raises(DirectoryFileError) as info:
        read_directory_file(buf.getvalue(), "units.xlsx", known_codes=set())
    assert info.value.code == "unreadable_file"


def test_an_empty_workbook_is_empty() -> None:
    """A workbook with nothing in it is an empty file."""
    with pytest.raises(DirectoryFileError) as info:
        read_directory_file(_xlsx([]), "units.xlsx", known_codes=set())
    assert info.value.code == "empty_file"


def test_truncated_sheet_xml_is_unreadable() -> None:
    """A workbook whose sheet XML is cut short is reported as unreadable, not a crash."""
    good = write_directory_xlsx(SMALL)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data[: len(data) // 2] if item.filename.startswith("xl/worksheets/") else data)
    with pytest.raises(DirectoryFileError) as info:
        read_directory_file(out.getvalue(), "units.xlsx", known_codes=set())
    assert info.value.code == "unreadable_file"
