"""Web residue around a scraped plan: breadcrumbs, page furniture, page numbers, login walls that hide text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Stands in the line list where a login wall hid text, so the structure knows where text was lost.
LOST = "\x00LOST"

_BREADCRUMB = re.compile(r"^(?:首页|主页|网站首页|当前位置|您的位置|您现在的位置|所在位置|位置)[：:>＞»›→\s]|[>＞»›→]\s*(?:首页|政务公开|信息公开|通知公告|工作动态|正文)|^首页$")
_META = re.compile(
    r"^【?(?:发布时间|发布日期|更新时间|时间|日期|来源|信息来源|文章来源|作者|撰稿|供稿|浏览次数|阅读次数|阅读量|点击数|点击量|访问量|浏览量|"
    r"字号|字体|分享到|分享|责任编辑|编辑|审核|审校|校对|索引号|发文字号|文号|主题分类|发布机构|成文日期|生成日期|有效性|发文机关|"
    r"标题|主题词|公开方式|公开范围|所属机构|体裁分类|关键词|附件下载)\s*[：:】]")
_FURNITURE = re.compile(
    r"^(?:【?(?:打印本页|打印|关闭窗口|关闭|收藏|返回顶部|返回|上一篇|下一篇|上一条|下一条|相关链接|相关文章|相关阅读|相关新闻|扫一扫|"
    r"扫描二维码|网站地图|联系我们|版权所有|主办单位|承办单位|技术支持|网站标识码|推荐阅读|热门文章|加入收藏|设为首页|无障碍|"
    r"登录|注册|分享至|微信扫一扫|在手机上打开|用手机扫描)】?(?:[：:\s].*)?$|"
    r"(?:Copyright|COPYRIGHT|©|ICP备|公网安备|京ICP|ICP证).*|.*(?:ICP备|公网安备)\d*.*|【\s*[大中小]\s*】.*|字号[：:]?\s*[大中小]\s*[大中小]?\s*[大中小]?|"
    r"[大中小](?:\s*[大中小]){2}|(?:【?(?:打印本页|打印|关闭窗口|关闭|收藏本页|收藏|分享|返回顶部|返回)】?[\s|｜/]*){2,})$")
_PAGE_NO = re.compile(r"^(?:[-—－–]\s*\d{1,4}\s*[-—－–]|第\s*\d{1,4}\s*页(?:\s*[/／，,]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}|共\s*\d{1,4}\s*页)$")
_WALL_START = re.compile(r"隐藏内容|此处内容需要|内容需要权限|需要权限查看|登录后(?:查看|阅读|可见)|(?:购买|付费|充值|支付)后(?:查看|阅读|可见)|"
                         r"会员免费查看|查看完整内容|阅读全文需|剩余\d*%?.{0,6}(?:内容|未读)|开通会员|升级会员|VIP(?:会员|专享|可见)|仅限会员")
_WALL_LINE = re.compile(r"特权|积分|会员|免费|登录|注册|VIP|权限|付费|购买|充值|开通|下载券|点击|查看|解锁|代理|用户|¥|￥|元/|隐藏")


# Metadata printed as a two-line block on government sites: the label on one line, its value on the next.
_META_LABEL = re.compile(r"^【?(?:索引号|发文字号|文号|发布机构|发文机关|成文日期|发布日期|生成日期|公开方式|公开范围|主题分类|体裁分类|有效性|"
                         r"所属机构|主题词|关键词|信息来源|来源|浏览次数|发布时间|文件编号|效力状态|信息名称)\s*[：:】]?$")


@dataclass
class Residue:
    """What was dropped: page furniture lines, and how many login walls hid text."""

    dropped: int = 0
    walls: int = 0
    wall_lines: int = 0
    meta: dict[str, str] = field(default_factory=dict)

    def note(self, label: str, value: str) -> None:
        """Keep a metadata value (成文日期, 发布机构) that can stand in for a missing year or issuer."""
        key = label.strip("【】：: ")
        if value.strip() and key not in self.meta:
            self.meta[key] = value.strip()


def is_furniture(line: str) -> bool:
    """A line of web-page or print furniture rather than document text."""
    if len(line) > 80:
        return False
    return bool(_BREADCRUMB.search(line) or _META.match(line) or _FURNITURE.match(line) or _PAGE_NO.match(line))


def strip_residue(lines: list[str]) -> tuple[list[str], Residue]:
    """Lines without furniture; each login-wall block becomes one LOST marker."""
    out: list[str] = []
    rep = Residue()
    i = 0
    while i < len(lines):
        line = lines[i]
        if len(line) <= 60 and _WALL_START.search(line):
            j = i + 1
            while j < len(lines) and len(lines[j]) <= 40 and (_WALL_LINE.search(lines[j]) or _WALL_START.search(lines[j])):
                j += 1
            if not out or out[-1] != LOST:
                out.append(LOST)
                rep.walls += 1
            rep.wall_lines += j - i
            i = j
            continue
        if _META_LABEL.match(line) and i + 1 < len(lines) and len(lines[i + 1]) <= 40 and not _META_LABEL.match(lines[i + 1]):
            rep.note(line, lines[i + 1])
            rep.dropped += 2
            i += 2
            continue
        if is_furniture(line):
            m = _META.match(line)
            if m:
                rep.note(line[:m.end()], line[m.end():])
            rep.dropped += 1
        else:
            out.append(line)
        i += 1
    return out, rep
