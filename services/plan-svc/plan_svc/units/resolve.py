"""Resolve the unit names a plan uses (基教处, 教科所 …) to directory units: exact, by alias, by abbreviation, or not."""

from __future__ import annotations

import re
from dataclasses import dataclass

from plan_svc.units.aliases import ALIASES

_PAREN = re.compile(r"（([^）]*)）")
_PREFIX = re.compile(r"^(?:中共)?.{0,8}?(?:市|县|区)?(?:教育局|教育体育局|教体局)(?=.{2,})")
_SUFFIX = re.compile(r"(处|科|股|室|中心|院|局|办|部|所|站|馆|委)$")
_COLLECTIVE = re.compile(r"^(?:各|所有|全市|全县|全区|相关|有关)|各(?:区|县|地|校|学校|单位|处室|中小学|幼儿园)|(?:等|相关)(?:单位|部门|处室)$")


@dataclass(frozen=True)
class Candidate:
    """A directory unit as the resolver sees it."""

    id: str
    name: str


@dataclass(frozen=True)
class Resolution:
    """How one name resolved: kind is exact / alias / abbreviation / collective / unresolved."""

    name: str
    kind: str
    unit: Candidate | None = None


def _names(c: Candidate) -> list[str]:
    """A unit's own name, without its bracketed part, and the bracketed part (秘书处（办公室）)."""
    return [n for n in [c.name, _PAREN.sub("", c.name), *_PAREN.findall(c.name)] if n]


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


class Resolver:
    """Resolves names against one snapshot of the directory."""

    def __init__(self, units: list[Candidate]) -> None:
        self.units = units
        self.by_name: dict[str, Candidate] = {}
        for u in units:
            for n in _names(u):
                self.by_name.setdefault(n, u)

    def resolve(self, raw: str) -> Resolution:
        """The unit a name as written means, and how sure the match is."""
        name = _PAREN.sub("", raw).strip() or raw.strip()
        if _COLLECTIVE.search(name):
            return Resolution(raw, "collective")
        for n in (raw.strip(), name, _PREFIX.sub("", name)):
            if n in self.by_name:
                return Resolution(raw, "exact", self.by_name[n])
        bare = _PREFIX.sub("", name)
        for target in ALIASES.get(bare, ()):
            if target in self.by_name:
                return Resolution(raw, "alias", self.by_name[target])
        return self._abbreviation(raw, bare)

    def _abbreviation(self, raw: str, bare: str) -> Resolution:
        """基教处 for 基础教育处: same kind of ending, the short name's characters in order, one best match."""
        suffix = _SUFFIX.search(bare)
        core = _SUFFIX.sub("", bare)
        if suffix is None or len(core) < 2:
            return Resolution(raw, "unresolved")
        scored: list[tuple[int, Candidate]] = []
        for u in self.units:
            for n in _names(u):
                if _SUFFIX.search(n) and _SUFFIX.search(n).group(1) == suffix.group(1) and _subsequence(core, _SUFFIX.sub("", n)):
                    scored.append((len(n) - len(bare), u))
        scored.sort(key=lambda x: x[0])
        if not scored or len(scored) > 1 and scored[0][0] == scored[1][0] and scored[0][1].id != scored[1][1].id:
            return Resolution(raw, "unresolved")
        return Resolution(raw, "abbreviation", scored[0][1])
