"""A deterministic demo directory: 明州市教育局, its departments, 12 district bureaus, 1,500+ schools."""

from __future__ import annotations

import random

from task_svc.directory.records import UnitRecord

CITY_CODE = "city"
CITY_NAME = "明州市教育局"

# Names chosen so the abbreviations plan documents use (基教处, 计财处, 教研中心 …) find them;
# a parenthesised part is an alias the matcher also tries (秘书处 / 办公室, 教研室 / 教研中心).
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("d-msc", "秘书处（办公室）"),
    ("d-fgc", "发展规划处"),
    ("d-zcc", "政策法规处"),
    ("d-rsc", "组织人事处（政工处）"),
    ("d-jcc", "计划财务处"),
    ("d-jjc", "基础教育处"),
    ("d-zjc", "职业教育与成人教育处"),
    ("d-gjc", "高等教育处"),
    ("d-dyc", "德育与体卫艺处"),
    ("d-jsc", "教师工作处"),
    ("d-aqc", "安全稳定处"),
    ("d-ddc", "教育督导处（督导室）"),
    ("d-ltc", "离退休干部处"),
    ("d-jgdw", "机关党委"),
    ("d-jszx", "教育技术中心（电教馆）"),
    ("d-jys", "教研室（教研中心）"),
    ("d-ksy", "教育考试院（招生考试处）"),
    ("d-zzzx", "学生资助管理中心（资助中心）"),
)

# (code, name): codes are the pinyin of the name.
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("haishu", "海曙区"), ("jiangbei", "江北区"), ("zhenhai", "镇海区"), ("beilun", "北仑区"),
    ("yinzhou", "鄞州区"), ("fenghua", "奉化区"), ("yuyao", "余姚市"), ("cixi", "慈溪市"),
    ("ninghai", "宁海县"), ("xiangshan", "象山县"), ("gaoxin", "高新区"), ("qianwan", "前湾新区"),
)

# (school_type, code letter, min, max) per district: the minimums add up to 125, so 12 districts
# always give at least 1,500 schools whatever the seed.
SCHOOLS_PER_DISTRICT: tuple[tuple[str, str, int, int], ...] = (
    ("kindergarten", "k", 55, 70),
    ("primary", "p", 42, 55),
    ("junior", "j", 19, 27),
    ("senior", "s", 6, 10),
    ("vocational", "v", 2, 4),
    ("special", "t", 1, 2),
)

UNIVERSITIES: tuple[str, ...] = (
    "明州大学", "明州理工学院", "明州工程学院", "明州财经学院", "明州教育学院", "明州职业技术学院",
    "明州城市职业技术学院", "明州卫生职业技术学院", "明州海事职业学院", "明州外国语学院", "明州艺术学院",
    "明州幼儿师范高等专科学校",
)

_PLACE_HEAD = "东西南北新古石白青金梅桃柳松竹荷云星江湖山溪泉长永安宁丰福兴华明锦春秀凤龙"
_PLACE_TAIL = "湖塘门岸桥林溪园浦港湾山岭泉洲滨坊庄河屿亭"
_NUMERALS = "一二三四五六七八九十"


def _numeral(n: int) -> str:
    """Chinese numeral for 1..99."""
    if n <= 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _NUMERALS[tens - 1]) + "十" + (_NUMERALS[ones - 1] if ones else "")


def _places(rng: random.Random, count: int) -> list[str]:
    pool = [h + t for h in _PLACE_HEAD for t in _PLACE_TAIL if h != t]
    return rng.sample(pool, count)


def _names(school_type: str, district: str, count: int, places: list[str], rng: random.Random) -> list[str]:
    """`count` distinct names of one school type in one district."""
    d = district
    city_d = f"明州市{d}" if d.endswith("区") else d
    if school_type == "kindergarten":
        fixed = [f"{city_d}实验幼儿园", f"{d}机关幼儿园", f"{d}中心幼儿园"]
        rest = [f"{d}{p}{rng.choice(('', '', '中心', '实验'))}幼儿园" for p in places]
    elif school_type == "primary":
        fixed = [f"{city_d}实验小学", f"{d}第二实验小学", f"{d}外国语小学"]
        rest = [f"{d}{p}{rng.choice(('', '', '中心', '实验'))}小学" for p in places]
    elif school_type == "junior":
        fixed = [f"{d}第{_numeral(n)}中学" for n in range(1, 9)] + [f"{city_d}实验初级中学"]
        rest = [f"{d}{p}{rng.choice(('', '初级'))}中学" for p in places]
    elif school_type == "senior":
        fixed = [f"{d}中学", f"{city_d}高级中学"] + [f"{d}第{_numeral(n)}高级中学" for n in range(2, 12)]
        rest = []
    elif school_type == "vocational":
        fixed = [f"{d}职业教育中心学校", f"{d}职业高级中学", f"{d}技工学校", f"{d}{places[0]}职业技术学校"]
        rest = []
    else:
        fixed = [f"{d}特殊教育学校", f"{d}培智学校"]
        rest = []
    return (fixed + rest)[:count]


def generate_demo_directory(seed: int = 2026) -> list[UnitRecord]:
    """The demo directory for a seed (same seed, same list), parents before children."""
    rng = random.Random(seed)
    out = [UnitRecord(CITY_CODE, CITY_NAME, "city")]
    out += [UnitRecord(code, name, "department", CITY_CODE) for code, name in DEPARTMENTS]
    out += [UnitRecord(code, f"{name}教育局", "district", CITY_CODE) for code, name in DISTRICTS]
    n_uni = rng.randint(8, len(UNIVERSITIES))
    out += [UnitRecord(f"{CITY_CODE}-u{i:03d}", name, "school", CITY_CODE, "university") for i, name in enumerate(UNIVERSITIES[:n_uni], 1)]
    for code, name in DISTRICTS:
        places = _places(rng, 80)
        for school_type, letter, lo, hi in SCHOOLS_PER_DISTRICT:
            # Each type draws its own order of places, so a town tends to have a kindergarten and a primary school.
            names = _names(school_type, name, rng.randint(lo, hi), rng.sample(places, len(places)), rng)
            out += [UnitRecord(f"{code}-{letter}{i:03d}", n, "school", code, school_type) for i, n in enumerate(names, 1)]
    return out
