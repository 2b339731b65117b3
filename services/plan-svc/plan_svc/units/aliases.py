"""The maintained alias table: names plans use for the bureau's own departments, and the directory names they mean.

Each alias lists directory names in order of preference; the first one the directory has wins, so one table
serves bureaus that name a department differently (学前教育科 in one city, 基础教育处 in another).
"""

from __future__ import annotations

ALIASES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("基教处", "基教科", "基教股", "基础教育科", "基础教育股"), ("基础教育处",)),
    **dict.fromkeys(("学前科", "学前教育科", "学前办", "学前教育处", "学前股"), ("学前教育处", "学前教育科", "基础教育处")),
    **dict.fromkeys(("教科所", "教科院", "教育科学研究所", "教育科学研究院", "教研室", "教研中心", "教研院", "教研所"),
                    ("教育科学研究院", "教育科学研究所", "教研室", "教研中心")),
    **dict.fromkeys(("职教处", "职成处", "职成教处", "职教科", "职成科", "职成股", "职业教育处"), ("职业教育与成人教育处", "职业教育处")),
    **dict.fromkeys(("计财处", "计财科", "计财股", "财务处", "财务科"), ("计划财务处",)),
    **dict.fromkeys(("人事处", "组织处", "组织人事处", "政工处", "人事科", "组织人事股"), ("组织人事处", "政工处")),
    **dict.fromkeys(("办公室", "局办公室", "秘书处", "办公室（秘书处）"), ("办公室", "秘书处")),
    **dict.fromkeys(("督导室", "督导处", "教育督导室", "督导科"), ("教育督导处", "督导室")),
    **dict.fromkeys(("电教馆", "电教中心", "信息中心", "教育技术中心", "教育信息中心"), ("教育技术中心", "电教馆")),
    **dict.fromkeys(("考试院", "招生办", "招考办", "考试中心", "招生考试处"), ("教育考试院", "招生考试处")),
    **dict.fromkeys(("资助中心", "学生资助中心", "资助管理中心"), ("学生资助管理中心", "资助中心")),
    **dict.fromkeys(("德育处", "德育科", "德育股", "体卫艺处", "体卫艺科", "体卫艺股"), ("德育与体卫艺处", "德育处", "体卫艺处")),
    **dict.fromkeys(("安全处", "安稳处", "安全科", "安全稳定科"), ("安全稳定处",)),
    **dict.fromkeys(("规划处", "发规处", "发展规划科"), ("发展规划处",)),
    **dict.fromkeys(("法规处", "政法处", "政策法规科"), ("政策法规处",)),
    **dict.fromkeys(("高教处", "高等教育科"), ("高等教育处",)),
    **dict.fromkeys(("教师处", "师资处", "教师科", "教师股", "教师工作科"), ("教师工作处",)),
    **dict.fromkeys(("机关党支部", "机关党总支"), ("机关党委",)),
    **dict.fromkeys(("离退处", "老干部处"), ("离退休干部处",)),
}
