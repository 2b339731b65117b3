"""Chinese numerals as used in plan numbering (一 … 九十九)."""

from __future__ import annotations

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NAMES = "零一二三四五六七八九"


def cn_to_int(s: str) -> int | None:
    """一 -> 1, 十一 -> 11, 二十 -> 20, 九十九 -> 99; None for anything else."""
    if not s or len(s) > 3:
        return None
    if all(ch in _DIGITS for ch in s):
        return _DIGITS[s] if len(s) == 1 and s not in "零〇" else None
    if s.count("十") != 1:
        return None
    head, _, tail = s.partition("十")
    if (head and (len(head) > 1 or head not in _DIGITS or _DIGITS[head] < 2)) or (tail and (len(tail) > 1 or tail not in _DIGITS or _DIGITS[tail] == 0)):
        return None
    return (_DIGITS[head] if head else 1) * 10 + (_DIGITS[tail] if tail else 0)


def int_to_cn(n: int) -> str:
    """1 -> 一, 12 -> 十二, 21 -> 二十一 (plain digits outside 1..99)."""
    if n <= 0 or n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _NAMES[tens] + "十")
    return head + (_NAMES[ones] if ones else "")


_SMALL = {"十": 10, "百": 100, "千": 1000}


def cn_number(s: str) -> int | None:
    """两 -> 2, 十五 -> 15, 三百 -> 300, 一千二百 -> 1200, 十万 -> 100000; None for anything else."""
    if not s:
        return None
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _DIGITS:
            if digit is not None:
                return None  # 二三 is a list of numbers, not one number
            digit = _DIGITS[ch]
        elif ch in _SMALL:
            section += (1 if digit is None else digit) * _SMALL[ch]
            digit = None
        elif ch == "万":
            total += (section + (digit or 0) or 1) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)
