"""Enrolment, contacts and status in the directory file: both header languages, CSV and XLSX, bad values rejected."""

from __future__ import annotations

import pytest

from task_svc.directory.importer import read_directory_file, write_directory_csv, write_directory_xlsx
from task_svc.directory.records import UnitRecord

RECORDS = [
    UnitRecord("city", "明州市教育局", "city", email="office@mz.example.cn"),
    UnitRecord("haishu", "海曙区教育局", "district", "city", leader_name="李局长", leader_email="li@hs.example.cn"),
    UnitRecord("haishu-k001", "海曙幼儿园", "school", "haishu", "kindergarten", enrolment=320),
    UnitRecord("haishu-p001", "海曙小学", "school", "haishu", "primary", enrolment=1200, active=False),
]


@pytest.mark.parametrize("chinese", [True, False])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_fields_round_trip(fmt: str, chinese: bool) -> None:
    data = (write_directory_csv if fmt == "csv" else write_directory_xlsx)(RECORDS, chinese=chinese)
    parsed = read_directory_file(data, f"units.{fmt}", known_codes=set())
    assert parsed.errors == [] and parsed.records == RECORDS


def test_bad_values_are_rejected_row_by_row() -> None:
    csv = ("单位编码,单位名称,单位类型,上级编码,学校类型,在校生数,电子邮箱,负责人,负责人邮箱,状态\n"
           "city,明州市教育局,市局,,,,,,,\n"
           "a1,甲幼儿园,学校,city,幼儿园,很多,,,,\n"
           "a2,乙幼儿园,学校,city,幼儿园,,not-an-email,,,\n"
           "a3,丙幼儿园,学校,city,幼儿园,,,,,也许\n"
           "a4,丁幼儿园,学校,city,幼儿园,\"1,024\",,,,停用\n").encode()
    parsed = read_directory_file(csv, "units.csv", known_codes=set())
    assert [(e.row, e.code) for e in parsed.errors] == [(3, "a1"), (4, "a2"), (5, "a3")]
    assert all(e.message for e in parsed.errors)
    a4 = next(r for r in parsed.records if r.code == "a4")
    assert (a4.enrolment, a4.active) == (1024, False)
