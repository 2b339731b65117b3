"""Sections and items of the plan body: numbered at any of the three usual levels, or headline sentences."""

from __future__ import annotations

from dataclasses import dataclass, field

from plan_svc.parsing.headlines import split_headlines
from plan_svc.parsing.markers import SENTENCE_END, Marker, classify
from plan_svc.parsing.residue import LOST

IMPLICIT_TITLE = "未标明部分"
_MAX_JUMP = 80


@dataclass
class Entry:
    """A numbered line (group or item) with the unnumbered lines under it, or a login-wall gap."""

    kind: str
    marker: Marker | None = None
    lines: list[str] = field(default_factory=list)


@dataclass
class RawItem:
    """An item before field extraction: its number, the text of its first line, the lines after it."""

    number: str
    value: int | None
    first: str
    lines: list[str]
    group: str | None = None
    headline: bool = False
    lost_after: bool = False


@dataclass
class RawSection:
    """A section with its items; `mode` says how the items were found."""

    number: str
    value: int | None
    title: str
    intro: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    items: list[RawItem] = field(default_factory=list)
    mode: str = "none"
    lost_before: bool = False
    orphans: int = 0
    part: str | None = None
    is_part: bool = False
    run_on: bool = False


def _accept(m: Marker, last: dict[str, int]) -> bool:
    """Numbers only go forward (or restart at 1 for lower levels); anything else is body text that starts with a number."""
    prev = last[m.kind]
    if m.kind in ("part", "section"):
        return prev < m.value <= prev + _MAX_JUMP
    return m.value == 1 or prev < m.value <= prev + _MAX_JUMP


def _section_title(rest: str, run_on: str | None = None) -> tuple[str, list[str]]:
    if run_on:
        return run_on, [rest[len(run_on):].lstrip("：")]
    stop = min((rest.find(ch) for ch in SENTENCE_END if ch in rest), default=-1)
    if 0 < stop < len(rest) - 1:
        return rest[:stop], [rest[stop + 1:]]
    return rest.rstrip("。！？；：，、 "), []


def collect(lines: list[str]) -> list[RawSection]:
    """Sections with their raw entries, in document order."""
    sections: list[RawSection] = []
    last = {"part": 0, "section": 0, "group": 0, "item": 0, "sub": 0, "circle": 0}
    # 第一部分 over 一、 headings is a level above the sections; alone, it is the section level.
    marks = [classify(x) for x in lines if x != LOST]
    parts_above = any(m is not None and m.kind == "section" for m in marks) and any(m is not None and m.kind == "part" for m in marks)
    part: str | None = None

    def current() -> RawSection:
        if not sections:
            sections.append(RawSection("", None, IMPLICIT_TITLE))
        return sections[-1]

    queue = list(reversed(lines))
    while queue:
        line = queue.pop()
        if line == LOST:
            current().entries.append(Entry("lost"))
            continue
        m = classify(line)
        if m is not None and m.kind == "part" and not parts_above:
            m = Marker("section", m.label, m.value, m.rest)
        if m is not None and _accept(m, last):
            last[m.kind] = m.value
            if m.kind == "part":
                title, extra = _section_title(m.rest, m.title)
                part, last["section"] = title or f"第{m.label}部分", 0
                sections.append(RawSection(m.label, None, part, intro=extra, is_part=True))
            elif m.kind == "section":
                title, extra = _section_title(m.rest, m.title)
                if extra and extra[0] and classify(extra[0]) is not None:
                    queue.append(extra.pop())  # 二、重点工作1.加强…: the heading ran into its first item
                sections.append(RawSection(m.label, m.value, title or m.rest, intro=extra, part=part, run_on=bool(m.title)))
            else:
                current().entries.append(Entry(m.kind, m))
            continue
        sec = current()
        if sec.entries and sec.entries[-1].kind != "lost":
            sec.entries[-1].lines.append(line)
        elif sec.entries:
            sec.orphans += 1
        else:
            sec.intro.append(line)
    return sections


def _heading_like(e: Entry, nxt: Entry | None = None) -> bool:
    """A short heading line; a lead-in paragraph under it is allowed when numbered items follow."""
    rest = (e.marker.rest if e.marker else "").rstrip("。")
    lead_in = nxt is not None and nxt.kind == "item" and len(e.lines) <= 3
    return (not e.lines or lead_in) and len(rest) <= 40 and not any(ch in rest for ch in SENTENCE_END)


def _headings(entries: list[Entry]) -> int:
    """How many group entries are headings over numbered items."""
    return sum(_heading_like(e, entries[k + 1] if k + 1 < len(entries) else None) for k, e in enumerate(entries) if e.kind == "group")


def _as_line(m: Marker) -> str:
    """A numbered line that turned out to be body text, written back as printed."""
    if m.kind == "circle":
        return m.label + m.rest
    return f"（{m.label}）{m.rest}" if m.kind in ("group", "sub") else f"{m.label}.{m.rest}"


def resolve(sec: RawSection) -> None:
    """Decide which numbered level holds the items of one section and build them."""
    groups = [e for e in sec.entries if e.kind == "group"]
    numbered = [e for e in sec.entries if e.kind == "item"]
    group_mode = bool(groups and numbered and _headings(sec.entries) * 2 >= len(groups))
    subs = any(e.kind == "sub" for e in sec.entries)
    circles = any(e.kind == "circle" for e in sec.entries)
    item_kind = ("item" if group_mode or (numbered and not groups) else "group" if groups else "sub" if subs
                 else "circle" if circles else "item")
    group_title: str | None = None
    for e in sec.entries:
        if e.kind == "lost":
            group_title = None  # the heading of what follows may be among the lost text
            if sec.items:
                sec.items[-1].lost_after = True
            else:
                sec.lost_before = True
        elif e.kind == item_kind and e.marker is not None:
            sec.items.append(RawItem(e.marker.label, e.marker.value, e.marker.rest, list(e.lines), group=group_title))
        elif group_mode and e.kind == "group" and e.marker is not None:
            group_title = e.marker.rest.rstrip("。！？；：，、")
            sec.intro.extend(e.lines)
        elif e.marker is not None and sec.items:
            sec.items[-1].lines.extend([_as_line(e.marker), *e.lines])
        elif e.marker is not None:
            sec.intro.extend([_as_line(e.marker), *e.lines])
    if sec.items:
        sec.mode = "grouped" if group_mode else "numbered"
        return
    intro, found = split_headlines(sec.intro)
    if found:
        sec.mode = "headline"
        sec.intro = [intro] if intro else []
        sec.items = [RawItem(str(i), i, title, [body] if body else [], headline=True) for i, (title, body) in enumerate(found, 1)]


def build_sections(lines: list[str]) -> tuple[list[RawSection], list[RawSection]]:
    """The plan body as sections of items, and the item-less part headings and lead-ins left out of it."""
    sections = collect(lines)
    if len(sections) == 1 and not sections[0].value and not sections[0].is_part:
        sections = _promote_groups(sections[0]) or sections
    for sec in sections:
        resolve(sec)
    if sections and not any(s.items for s in sections) and any(s.value for s in sections):
        sections = [_sections_as_items(sections)]
    # A part heading's own text (总体要求 …) or an empty lead-in holds no items and is not a section of the draft.
    kept = [s for s in sections if s.items or s.value is not None]
    return kept, [s for s in sections if not (s.items or s.value is not None) and (s.intro or s.is_part)]


def _promote_groups(sec: RawSection) -> list[RawSection] | None:
    """Without 一、 headings, （一） headings over 1. items act as the sections."""
    groups = [e for e in sec.entries if e.kind == "group"]
    if not groups or not any(e.kind == "item" for e in sec.entries) or _headings(sec.entries) * 2 < len(groups):
        return None
    out: list[RawSection] = []
    lead = RawSection("", None, IMPLICIT_TITLE, intro=list(sec.intro))
    cur = lead
    for e in sec.entries:
        if e.kind == "group" and e.marker is not None:
            cur = RawSection(e.marker.label, e.marker.value, e.marker.rest.rstrip("。！？；：，、"), intro=list(e.lines))
            out.append(cur)
        else:
            cur.entries.append(e)
    return ([lead] if lead.entries else []) + out


def _sections_as_items(sections: list[RawSection]) -> RawSection:
    """A plan whose only numbered level is 一、: each such part is one item."""
    sec = RawSection("", None, IMPLICIT_TITLE, mode="sections")
    for s in sections:
        body = [*s.intro] + [ln for e in s.entries for ln in ([_as_line(e.marker)] if e.marker else []) + e.lines]
        if s.value is None and not body:
            continue
        sec.items.append(RawItem(s.number, s.value, s.title + ("。" if body else ""), body))
    return sec

