"""Parse quality against hand-written truth: section and item recall/precision, units, indicators, deadlines."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NOISE = re.compile(r"[\s，。、；：！？“”‘’《》（）()\"'…·]")


def norm(title: str) -> str:
    """A title compared without spaces and punctuation."""
    return _NOISE.sub("", title or "")


@dataclass
class Score:
    """Counts over one document or a whole corpus."""

    sections_true: int = 0
    sections_found: int = 0
    sections_hit: int = 0
    items_true: int = 0
    items_found: int = 0
    items_hit: int = 0
    units_ok: int = 0
    indicators_true: int = 0
    indicators_hit: int = 0
    deadlines_true: int = 0
    deadlines_hit: int = 0
    groups_true: int = 0
    groups_hit: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Fold another document's counts into this one."""
        for k, v in vars(other).items():
            if k == "misses":
                self.misses += v
            else:
                setattr(self, k, getattr(self, k) + v)

    def ratios(self) -> dict[str, float]:
        """Recall, precision and accuracy figures (1.0 when there is nothing to count)."""
        def r(a: int, b: int) -> float:
            return round(a / b, 4) if b else 1.0
        return {
            "section_recall": r(self.sections_hit, self.sections_true), "section_precision": r(self.sections_hit, self.sections_found),
            "item_recall": r(self.items_hit, self.items_true), "item_precision": r(self.items_hit, self.items_found),
            "unit_accuracy": r(self.units_ok, self.items_hit), "indicator_recall": r(self.indicators_hit, self.indicators_true),
            "deadline_recall": r(self.deadlines_hit, self.deadlines_true), "group_accuracy": r(self.groups_hit, self.groups_true),
        }


def _parsed_items(draft: dict[str, Any]) -> list[dict[str, Any]]:
    items = [{**it, "section": s.get("number", "")} for s in draft.get("sections", []) for it in s.get("items", [])]
    items += [{**t, "section": "表", "supporting_units": t.get("supporting_units", [])} for t in draft.get("key_tasks", [])]
    return items


def _has_indicator(found: list[dict[str, Any]], want: dict[str, Any]) -> bool:
    return any(i.get("unit") == want["unit"] and i.get("target") is not None and abs(float(i["target"]) - float(want["target"])) < 1e-6
               for i in found)


def score_document(draft: dict[str, Any], truth: dict[str, Any], name: str = "") -> Score:
    """Compare one draft with its truth ({sections, items, key_tasks})."""
    sc = Score()
    want_sections = [(s["number"], norm(s["title"])) for s in truth.get("sections", [])]
    got_sections = [(s.get("number", ""), norm(s.get("title", ""))) for s in draft.get("sections", [])]
    sc.sections_true, sc.sections_found = len(want_sections), len(got_sections)
    pool = list(got_sections)
    for s in want_sections:
        hit = next((g for g in pool if g[1] == s[1]), None)
        if hit is not None:
            pool.remove(hit)
            sc.sections_hit += 1
        else:
            sc.misses.append(f"{name}: 部分“{s[1]}”未识别")
    want = [*truth.get("items", []), *({**t, "section": "表"} for t in truth.get("key_tasks", []))]
    got = _parsed_items(draft)
    sc.items_true, sc.items_found = len(want), len(got)
    free = list(range(len(got)))
    for w in want:
        key = norm(w["title"])
        same = [k for k in free if norm(got[k]["title"]) == key]
        k = next((x for x in same if got[x]["section"] == w.get("section")), same[0] if same else None)
        sc.indicators_true += len(w.get("indicators", []))
        sc.deadlines_true += w.get("deadline") is not None
        sc.groups_true += "group" in w
        if k is None:
            sc.misses.append(f"{name}: 条目“{w['title']}”未识别")
            continue
        free.remove(k)
        g = got[k]
        sc.items_hit += 1
        if sorted(g.get("lead_units") or []) == sorted(w.get("lead_units", [])) and \
                sorted(g.get("supporting_units") or []) == sorted(w.get("supporting_units", [])):
            sc.units_ok += 1
        else:
            sc.misses.append(f"{name}: 条目“{w['title']}”单位 {g.get('lead_units')}/{g.get('supporting_units')} ≠ {w.get('lead_units')}/{w.get('supporting_units')}")
        for ind in w.get("indicators", []):
            if _has_indicator(g.get("indicators") or [], ind):
                sc.indicators_hit += 1
            else:
                sc.misses.append(f"{name}: 条目“{w['title']}”缺指标 {ind['target']}{ind['unit']}")
        if w.get("deadline") is not None:
            if g.get("deadline") == w["deadline"]:
                sc.deadlines_hit += 1
            else:
                sc.misses.append(f"{name}: 条目“{w['title']}”时限 {g.get('deadline')} ≠ {w['deadline']}")
        if "group" in w:
            if (g.get("group") or None) == w["group"]:
                sc.groups_hit += 1
            else:
                sc.misses.append(f"{name}: 条目“{w['title']}”分组 {g.get('group')} ≠ {w['group']}")
    sc.misses += [f"{name}: 多出条目“{got[k]['title']}”" for k in free]
    return sc


def load_truth(path: Path) -> dict[str, dict[str, Any]]:
    """Document name -> truth; TRUTH.json maps names to inline truth or to truth files beside it."""
    raw = json.loads(path.read_text("utf-8"))
    docs = raw.get("documents", raw)
    out: dict[str, dict[str, Any]] = {}
    for name, value in docs.items():
        out[name] = json.loads((path.parent / value).read_text("utf-8")) if isinstance(value, str) else value
    return out


def score_corpus(directory: Path, truth_path: Path) -> tuple[dict[str, Score], Score]:
    """Parse every document named in the truth file and score it; (per document, total)."""
    from plan_svc.parsing import PlanParseError, parse_plan_file

    per: dict[str, Score] = {}
    total = Score()
    for name, truth in load_truth(truth_path).items():
        try:
            draft = parse_plan_file((directory / name).read_bytes(), name)
        except PlanParseError as exc:
            draft = {"sections": [], "key_tasks": []}
            truth = {**truth}
            per_miss = f"{name}: 无法解析（{exc.code}）"
        else:
            per_miss = ""
        sc = score_document(draft, truth, name)
        if per_miss:
            sc.misses.insert(0, per_miss)
        per[name] = sc
        total.add(sc)
    return per, total
