"""Unnumbered items: a paragraph where each item opens with a short headline sentence (bold in the original)."""

from __future__ import annotations

import re

from plan_svc.parsing.markers import TERMINAL
from plan_svc.parsing.units import break_after_clauses, is_unit_line

_SENTENCE = re.compile(r"[^。！？\n]*[。！？][”’」』）]*\n?|[^。！？\n]+\n?")
_CONNECTIVE = re.compile(r"^(?:[一二三四五六七八九十]是|第[一二三四五六七八九十][，、]|同时|此外|其中|并且|另外|因此|为此|从而|以及|但是|但|而且|总之|特别是|尤其是|首先|其次|最后|此外|进而|由此|对此|比如|例如|如)")
MAX_HEADLINE = 24
MIN_BODY = 10


def join_lines(lines: list[str]) -> str:
    """Lines joined as prose: a newline after a line that ends a sentence, nothing inside a wrapped sentence."""
    out = ""
    for line in lines:
        if not out:
            out = line
        elif out[-1] in TERMINAL:
            out += "\n" + line
        elif out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            out += " " + line
        else:
            out += line
    return out


def is_headline(sentence: str) -> bool:
    """A short sentence without inner commas that can stand as an item's headline."""
    core = sentence.strip().rstrip("。！？”’」』）")
    if not 2 <= len(core) <= MAX_HEADLINE or "\n" in core:
        return False
    # Headlines are slogans: no inner commas and no figures (a short sentence with 2.5万个 is a target, not a headline).
    return not re.search(r"[，；：,;:\d%]", core) and not _CONNECTIVE.match(core)


def split_headlines(lines: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """(intro text, [(headline, body)]) for the text of one section; no items when the shape does not fit."""
    # A responsibility line of its own closes the item above it, even without a full stop; a short unpunctuated
    # line that opens a paragraph is a headline set on a line of its own.
    marked = []
    for k, x in enumerate(lines):
        opens = k == 0 or lines[k - 1][-1] in TERMINAL or is_unit_line(lines[k - 1])
        alone = opens and k + 1 < len(lines) and 4 <= len(x) <= MAX_HEADLINE and not re.search(r"[，。；：、！？,;:\d%（）]", x)
        marked.append(x + "。" if (is_unit_line(x) or alone) and x[-1] not in TERMINAL else x)
    text = break_after_clauses(join_lines(marked))
    sentences = [(m.group(0), m.start()) for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    intro: list[str] = []
    items: list[list[str]] = []
    body_len = intro_len = 0
    for idx, (sent, pos) in enumerate(sentences):
        para_start = pos == 0 or text[pos - 1] == "\n" or sent.startswith("\n")
        has_body = idx + 1 < len(sentences)
        if is_headline(sent) and has_body and (para_start or (items and body_len >= MIN_BODY) or (not items and (not intro or intro_len >= MIN_BODY))):
            if len(items) == 1 and body_len == 0 and para_start:
                intro += items.pop()  # a short lead-in (今年重点抓好以下工作。) standing alone before the first headline
                intro_len += len(intro[-1])
            items.append([sent])
            body_len = 0
        elif items:
            items[-1].append(sent)
            body_len += len(sent)
        else:
            intro.append(sent)
            intro_len += len(sent)
    if len(items) < 2 and (intro or not items):
        return join_text(intro + [s for it in items for s in it]), []
    return join_text(intro), [(it[0].strip().rstrip("。！？").strip(), join_text(it[1:])) for it in items]


def join_text(parts: list[str]) -> str:
    """Sentences back into text, keeping their paragraph breaks but not leading or trailing ones."""
    return "".join(parts).strip()
