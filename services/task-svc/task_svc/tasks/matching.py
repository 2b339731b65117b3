"""Match the unit names a plan document uses (基教科, 职教处 …) to directory departments."""

from __future__ import annotations

import re

from task_svc.directory.models import Unit

_GENERIC_SUFFIX = re.compile(r"(处|科|室|中心|院|局|办|部|所|站)$")
_PAREN = re.compile(r"[（(]([^）)]*)[）)]")


def _core(name: str) -> str:
    return _GENERIC_SUFFIX.sub("", name.strip())


def _aliases(unit: Unit) -> list[str]:
    names = [unit.name, _PAREN.sub("", unit.name)]
    names += _PAREN.findall(unit.name)
    return [n for n in names if n]


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def match_unit(name: str, candidates: list[Unit]) -> Unit | None:
    """The best department for a name as written, or None when nothing fits well enough."""
    name = name.strip()
    if not name:
        return None
    for u in candidates:
        if name == u.code or name in _aliases(u):
            return u
    core = _core(name)
    if len(core) < 2:
        return None
    best: tuple[int, Unit] | None = None
    for u in candidates:
        for alias in _aliases(u):
            acore = _core(alias)
            if core == acore:
                score = 100
            elif core in acore or acore in core:
                score = 80
            elif _is_subsequence(core, acore):
                # An abbreviation such as 基教 for 基础教育 keeps the characters in order.
                score = 60 - (len(acore) - len(core))
            else:
                continue
            if best is None or score > best[0]:
                best = (score, u)
    return best[1] if best else None
