"""Fuzz: random and mangled plan text either becomes a schema-valid draft or is refused with PlanParseError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plan_svc.parsing import PlanParseError, parse_plan_file, parse_plan_text
from plan_svc.plans.schemas import PlanDraftIn

ROOT = Path(__file__).resolve().parents[3]
VALIDATOR = jsonschema.Draft202012Validator(json.loads((ROOT / "contracts" / "plan-draft.schema.json").read_text("utf-8")))
SEED_LINES = [ln for p in sorted((Path(__file__).resolve().parent / "data" / "seeds").glob("*.txt")) for ln in p.read_text("utf-8").splitlines()]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Fragments that steer random text into the parser's interesting paths.
PIECES = ["一、", "（一）", "(二)", "1.", "14 .", "2、", "。", "，", "（责任单位：", "牵头处室:", "）", "序号", "主要工作", "附件",
          "隐藏内容", "会员免费查看", "首页 >", "**", "X", "达到60%", "不少于15个", "5个以上", "2.5万个", "****个", "控制在5%以内",
          "到2023年底", "6月底前", "年内", "各县（市、区）", "幼儿园", "各学校", "工作要点", "工作总结", "\n", " ", "\u3000", "\ufeff"]


def _check(draft: dict[str, Any]) -> None:
    VALIDATOR.validate(draft)
    PlanDraftIn.model_validate(draft)
    json.dumps(draft, ensure_ascii=False, allow_nan=False)


def _outcome(fn: Any, *args: Any) -> None:
    try:
        draft = fn(*args)
    except PlanParseError as exc:
        assert exc.code and exc.code.replace("_", "").isalpha() and exc.code.islower()
        assert exc.message
        return
    _check(draft)


@FUZZ
@given(st.text(max_size=3000))
def test_random_unicode_is_parsed_or_refused(text: str) -> None:
    _outcome(parse_plan_text, text)


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=300).map("".join))
def test_plan_like_noise_is_parsed_or_refused(text: str) -> None:
    _outcome(parse_plan_text, text)


@FUZZ
@given(st.data())
def test_mangled_seed_text_is_parsed_or_refused(data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(SEED_LINES) - 1))
    lines = SEED_LINES[start:start + data.draw(st.integers(1, 120))]
    for _ in range(data.draw(st.integers(0, 12))):
        op = data.draw(st.sampled_from(["delete", "insert", "swap", "cut", "dup"]))
        i = data.draw(st.integers(0, max(0, len(lines) - 1)))
        if op == "delete" and lines:
            lines.pop(i)
        elif op == "insert":
            lines.insert(i, data.draw(st.one_of(st.sampled_from(PIECES + SEED_LINES[:50]), st.text(max_size=40))))
        elif op == "swap" and len(lines) > 1:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "cut" and lines:
            k = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:k] + lines[i][k + data.draw(st.integers(0, 30)):]
        elif op == "dup" and lines:
            lines.insert(i, lines[i])
    if data.draw(st.booleans()):
        lines = data.draw(st.permutations(lines))
    _outcome(parse_plan_text, "\n".join(lines))


@FUZZ
@given(st.binary(max_size=4000), st.sampled_from(["plan.txt", "plan.docx", "plan.pdf", "plan", "plan.doc", "计划.TXT", "x.png"]))
def test_random_bytes_are_parsed_or_refused(data: bytes, filename: str) -> None:
    _outcome(parse_plan_file, data, filename)


@FUZZ
@given(st.data())
def test_seed_bytes_in_other_encodings_and_truncated(data: st.DataObject) -> None:
    text = "\n".join(SEED_LINES[: data.draw(st.integers(1, len(SEED_LINES)))])
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"]))
    raw = text.encode(encoding, errors="ignore")
    raw = raw[: data.draw(st.integers(0, len(raw)))]
    _outcome(parse_plan_file, raw, data.draw(st.sampled_from(["a.txt", "a.pdf", "a.docx"])))
