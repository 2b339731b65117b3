"""Quantitative targets in an item's text: 达到60%, 不少于15个, 5个以上, 2.5万个, ****个, 控制在5%以内 …"""

from __future__ import annotations

import re
from typing import Any

from plan_svc.parsing.numerals import cn_number

_UNITS = ("个百分点|百分点|%|‰|人次|场次|所次|期(?!间|待|末|限|中|刊)|亿元|元|平方米|平米|公顷|亩|公里|千米|米|吨|小时|课时|学时|学分|天|周|"
          "个(?!性|体|别|案|人)|所(?!有|在|属|谓)|人(?!员|才|民|口|群|工|格|文|数|们)|名(?!师|校|单|称|义|额|牌|园|班)|项(?!目)|家(?!长|庭|乡|具)|"
          "场(?!馆|所|地|景|域)|次|批|支(?!持|撑|出|部)|门(?!类|户|槛)|节(?!点|约|日)|本(?!科|地|土|领|质|身|市|校)|套|间(?!隔)|户(?!籍|外)|"
          "位(?!于|置)|条(?!例|件)|件|篇|部(?!门|署|分)|校(?!区|园|长|际|内|外)|班(?!级|子|主|额)|张|台|册|座|块|种(?!植|类)|类(?!型|别)|份|倍|"
          r"亿|万(?!\d)")
_NUM = r"\d{1,9}(?:\.\d{1,4})?"
_PATTERN = re.compile(
    rf"(?<![\d.A-Za-z+第*])(?P<num>{_NUM}|\*{{2,}})(?:-(?P<num2>{_NUM}))?(?P<wan>万(?!\d))?(?P<yu>余|多)?"
    rf"(?P<unit>{_UNITS})(?P<post>及以上|以上|以内|及以下|以下|左右)?(?![\d.])")
# Counts written in Chinese numerals (两个、三所、十万人次); 一 alone (一批、一个) is a figure of speech, not a target.
_CN_NUM = "一二两三四五六七八九十百千万"
_CN_UNITS = ("人次|场次|期(?!间|待|末|限|中|刊)|个(?!性|体|别|案|人|方面|维护|确立|意识|自信|课堂|一)|所(?!有|在|属|谓)|家(?!长|庭|乡|具)|项(?!目)|名(?!师|校|单|称|义|额|牌)|"
             "场(?!馆|所|地|景|域)|批|支(?!持|撑|出|部)|条(?!例|件)|门(?!类|户|槛)|座|倍|万人|人(?!员|才|民|口|群|工|格|文|数|们)")
_CN_PATTERN = re.compile(rf"(?<![第每之数几“《{_CN_NUM}])(?P<num>[二两三四五六七八九十][{_CN_NUM}]{{0,5}}|一[十百千万][{_CN_NUM}]{{0,4}})"
                         rf"(?P<yu>余|多)?(?P<unit>{_CN_UNITS})(?P<post>及以上|以上|以内|及以下|以下|左右)?")
_GE = ("不低于", "不少于", "不小于", "至少", "达到", "超过", "突破", "提高到", "提升到", "增加到", "增至", "提高至", "提升至", "达")
_LE = ("不超过", "不高于", "控制在", "压减到", "压减至", "压缩到", "降低到", "降至", "降到", "减少到", "低于", "少于", "小于")
_APPROX = ("约", "大约")
_COMPARATOR = re.compile("(" + "|".join(sorted(_GE + _LE + _APPROX + ("保持在", "稳定在", "保持"), key=len, reverse=True)) + ")")
_MODAL = re.compile(r"力争|确保|争取|努力|累计|全年共|合计|共计|预计")
_STOP = "，。；：！？\n"
_OPEN, _CLOSE = "（《“", "）》”"


def _preceding(text: str, start: int, floor: int) -> str:
    """The clause before an indicator, back to punctuation or the previous indicator (bracketed text kept whole)."""
    i, depth = start, 0
    while i > floor:
        ch = text[i - 1]
        if ch in _CLOSE:
            depth += 1
        elif ch in _OPEN:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and ch in _STOP:
            break
        i -= 1
    return text[i:start].lstrip("、")


def _following(text: str, end: int) -> str:
    """The noun after an indicator (建成3个以上现场工程师学院), empty when the clause ends or another number follows."""
    i, depth = end, 0
    while i < len(text):
        ch = text[i]
        if ch in _OPEN:
            if i == end:
                return ""
            depth += 1
        elif ch in _CLOSE:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (ch in _STOP or ch == "、"):
            break
        elif ch.isdigit() or ch == "*":
            return ""
        i += 1
    return text[end:i]


def _comparator(pre: str, noun: str, post: str | None, yu: str | None, ranged: bool) -> tuple[str, str]:
    """(comparator, what is measured) from the words before and after the number."""
    hits = list(_COMPARATOR.finditer(pre))
    word = hits[-1].group(1) if hits else ""
    if not hits:
        subject = _clean_name(pre + noun)
    elif not pre[hits[-1].end():].strip():
        subject = _clean_name(pre[:hits[-1].start()]) or _clean_name(noun)
    else:
        between = pre[hits[-1].end():]
        # 不低于符合条件的15%: a share of something else, so the subject stays the one before the comparator
        use_between = noun and not between.endswith("的")
        subject = _clean_name(between + noun) if use_between else _clean_name(pre[:hits[-1].start()])
    if post in ("以内", "以下", "及以下"):
        return "<=", subject
    if post == "左右" or word in _APPROX:
        return "~", subject
    if post in ("以上", "及以上") or yu or word in _GE or ranged:
        return ">=", subject
    if word in _LE:
        return "<=", subject
    return "=", subject


def _clean_name(name: str) -> str:
    name = re.sub(r"^(?:按照|根据|其中|对照)", "", _MODAL.sub("", name)).strip("、，的为是在到至达 ")
    if "、" in name and "等" in name[name.rindex("、"):-1]:
        name = name[name.rindex("等") + 1:] or name
    return name[-40:]


def find_indicators(text: str) -> list[dict[str, Any]]:
    """Every quantitative target in the text, as {text, name, comparator, target, unit}."""
    out: list[dict[str, Any]] = []
    floor = 0
    found = list(_PATTERN.finditer(text))
    taken = [(m.start(), m.end()) for m in found]
    found += [m for m in _CN_PATTERN.finditer(text)
              if cn_number(m.group("num")) and not any(a < m.end() and m.start() < b for a, b in taken)]
    for m in sorted(found, key=lambda x: x.start()):
        if text[m.end():m.end() + 1] in ("”", "》"):
            continue  # a number inside a quoted name (“新**人”, 《3个课堂》) is not a target
        pre = _preceding(text, m.start(), floor)
        after = _following(text, m.end())
        noun = after.removeprefix("的")
        noun = "" if re.match(r"^[地得]", noun) else noun
        ranged = m.re is _PATTERN and bool(m.group("num2"))
        comparator, subject = _comparator(pre, noun, m.group("post"), m.group("yu"), ranged)
        if not subject:
            subject = out[-1]["name"] if out else "指标"
        unit = m.group("unit")
        target: float | None = None
        if m.re is _CN_PATTERN:
            target = cn_number(m.group("num"))
            if unit == "万人":
                target, unit = (target or 0) * 10000, "人"
        elif not m.group("num").startswith("*"):
            target = float(m.group("num"))
            if unit == "万":
                unit = ""
            if m.group("wan") or m.group("unit") == "万":
                target *= 10000
            target = int(target) if target == int(target) else round(target, 4)
        start = m.start() - len(pre)
        end = m.end() + (len(after) if noun and subject.endswith(noun) else 0)
        out.append({"text": text[start:end][:200], "name": subject, "comparator": comparator, "target": target, "unit": unit})
        floor = end
    return out
