"""Character-level clean-up: one width for punctuation and digits, no stray spaces inside Chinese words."""

from __future__ import annotations

import re

# Full-width letters, digits and the symbols that belong to numbers become ASCII; Chinese punctuation stays.
_WIDTH = {**{chr(0xFF10 + i): str(i) for i in range(10)},
          **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
          **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
          "％": "%", "＋": "+", "．": ".", "／": "/", "＝": "=", "＜": "<", "＞": ">", "＊": "*", "＃": "#", "＆": "&",
          "﹑": "、", "｡": "。", "､": "、", "〔": "（", "〕": "）", "［": "[", "］": "]",
          "\u3000": " ", "\u00a0": " ", "\t": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ",
          "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u2060": "", "\r": ""}
_TABLE = str.maketrans(_WIDTH)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "，。、；：！？（）《》〈〉【】“”‘’…—·「」『』"
_NEAR_CJK = f"[{_CJK}{_CJK_PUNCT}]"
_DASH_RANGE = re.compile(r"(?<=\d)\s*(?:[-－—–~～〜]{1,2}|至)\s*(?=\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_HALF_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_HALF_NEAR_CJK = re.compile(rf"(?<={_NEAR_CJK})\s*([,;:?!])|([,;:?!])\s*(?={_NEAR_CJK})")
_SPACES = re.compile(r"\s+")
_STRAY = re.compile(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])")
_BULLET = re.compile(r"^[•●■◆◇★☆▪▶►○◎□√※]+\s*")
CJK_CHAR = re.compile(f"[{_CJK}]")


def tighten(text: str) -> str:
    """Drop every space that is not between two ASCII letters or digits (PDF extraction's ` 基教科 `, `研 学`)."""
    return _STRAY.sub("", _SPACES.sub(" ", text)).strip()


def normalize_line(line: str) -> str:
    """One line in canonical form: half-width digits and %, Chinese punctuation around Chinese text, no stray spaces."""
    s = line.translate(_TABLE)
    s = _BULLET.sub("", s.strip())
    s = s.replace("(", "（").replace(")", "）")
    s = _THOUSANDS.sub("", s)
    s = _HALF_NEAR_CJK.sub(lambda m: _HALF_PUNCT[m.group(1) or m.group(2)], s)
    s = _DASH_RANGE.sub("-", s)
    return tighten(s)


def normalize_text(text: str) -> list[str]:
    """The non-empty lines of a document, each normalised."""
    out = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n").split("\n"):
        line = normalize_line(raw)
        if line:
            out.append(line)
    return out
