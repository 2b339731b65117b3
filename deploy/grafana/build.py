"""Generate the Grafana dashboards under deploy/grafana/dashboards/ from one description.

    python deploy/grafana/build.py          # rewrite the JSON files
    python deploy/grafana/build.py --check  # exit 1 when a file differs (tests/test_deploy_files.py)

Every panel has a title, a unit and a description; tests/test_prometheus_proof.py runs every
query against a real Prometheus scraping a running stack and requires data from each.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parent / "dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}
ALL = "plan|task|notify|report"
CONSUMERS = "task|notify|report"
HTTP = "plan|task|notify|report|gateway"


def sel(suffix: str, svcs: str, extra: str = "") -> str:
    """A selector over several services' metrics: {__name__=~"duban_(a|b)_suffix", …}."""
    more = f", {extra}" if extra else ""
    return f'{{__name__=~"duban_({svcs})_{suffix}"{more}}}'


def ratio_5xx(total: str, by: str) -> str:
    """5xx share of requests; 0 (not empty) while there are requests but no 5xx."""
    five = total[:-1] + ', status=~"5.."}'
    return (f"(sum by ({by}) (rate({five}[$__rate_interval])) or sum by ({by}) (rate({total}[$__rate_interval])) * 0)"
            f" / sum by ({by}) (rate({total}[$__rate_interval]))")


@dataclass
class Panel:
    """One panel: a title, what it shows (description), a unit and its queries."""

    title: str
    description: str
    unit: str
    exprs: list[tuple[str, str]]  # (PromQL, legend)
    kind: str = "timeseries"
    width: int = 12
    height: int = 8

    def render(self, pid: int, x: int, y: int) -> dict:  # type: ignore[type-arg]
        """Grafana JSON."""
        targets = [{"refId": chr(65 + i), "datasource": DS, "expr": e, "legendFormat": legend, **({"instant": True} if self.kind != "timeseries" else {})}
                   for i, (e, legend) in enumerate(self.exprs)]
        panel = {"type": self.kind, "id": pid, "title": self.title, "description": self.description, "datasource": DS,
                 "gridPos": {"h": self.height, "w": self.width, "x": x, "y": y},
                 "fieldConfig": {"defaults": {"unit": self.unit}, "overrides": []}, "targets": targets}
        if self.kind == "stat":
            panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value",
                                "graphMode": "area", "textMode": "auto"}
        elif self.kind == "bargauge":
            panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "displayMode": "basic",
                                "orientation": "horizontal"}
        else:
            panel["options"] = {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}
        return panel


@dataclass
class Board:
    """One dashboard: rows of panels."""

    uid: str
    title: str
    description: str
    rows: list[tuple[str, list[Panel]]]
    job_var: bool = False
    tags: list[str] = field(default_factory=lambda: ["duban"])

    def render(self) -> dict:  # type: ignore[type-arg]
        """Grafana JSON."""
        panels: list[dict] = []  # type: ignore[type-arg]
        pid, y = 1, 0
        for row_title, row in self.rows:
            panels.append({"type": "row", "id": pid, "title": row_title, "collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                           "panels": []})
            pid, y, x, tallest = pid + 1, y + 1, 0, 0
            for p in row:
                if x + p.width > 24:
                    x, y, tallest = 0, y + tallest, 0
                panels.append(p.render(pid, x, y))
                pid, x, tallest = pid + 1, x + p.width, max(tallest, p.height)
            y += tallest
        variables: list[dict] = [{"name": "datasource", "label": "数据源", "type": "datasource", "query": "prometheus", "refresh": 1,  # type: ignore[type-arg]
                                  "current": {"text": "Prometheus", "value": "duban-prometheus"}, "hide": 0, "options": [], "regex": ""}]
        if self.job_var:
            q = 'label_values(up{job=~"gateway|plan-svc|task-svc|notify-svc|report-svc"}, job)'
            variables.append({"name": "job", "label": "服务", "type": "query", "datasource": DS, "definition": q,
                              "query": {"query": q, "refId": "job"}, "refresh": 2, "multi": True, "includeAll": True, "allValue": ".+",
                              "current": {"text": ["All"], "value": ["$__all"]}, "hide": 0, "options": [], "regex": "", "sort": 1})
        return {"uid": self.uid, "title": self.title, "description": self.description, "tags": self.tags, "timezone": "browser",
                "editable": False, "graphTooltip": 1, "refresh": "30s", "schemaVersion": 39, "version": 1,
                "time": {"from": "now-6h", "to": "now"}, "timepicker": {}, "links": [], "annotations": {"list": []},
                "templating": {"list": variables}, "panels": panels}


def overview() -> Board:
    """系统概览: is everything up, are requests and events flowing, is anything stuck."""
    j = 'job=~"$job"'
    http = sel("http_requests_total", HTTP, j)
    return Board("duban-overview", "督办 duban 系统概览", "一屏看全局：服务在线、请求、事件流、积压与死信。细节见各服务看板和“事件与 Kafka”看板。", [
        ("概览", [
            Panel("服务在线", "每个服务能被 Prometheus 抓取到的实例数；0 表示该服务全部实例都不可达。", "short",
                  [(f"sum by (job) (up{{{j}}})", "{{job}}")], "stat", 6, 4),
            Panel("自动重启次数（所选时段）", "duban up 监督进程自动重启崩溃服务的次数（仅单机 duban up；Kubernetes 上看 Pod 重启数）。", "short",
                  [("sum by (service) (increase(duban_supervisor_restarts_total[$__range]))", "{{service}}")], "stat", 6, 4),
            Panel("死信（所选时段）", "所选时段内进入死信主题的事件数。非 0 时用 duban dlq list 查看原因。", "short",
                  [(f"sum(increase({sel('events_failed_total', CONSUMERS, j)}[$__range])) or vector(0)", "死信")], "stat", 4, 4),
            Panel("发件箱积压", "各服务 outbox 中等待发布的事件总数；持续不降说明 Kafka 不可达或 relay 卡住。", "short",
                  [(f"sum({sel('outbox_backlog', ALL, j)})", "积压")], "stat", 4, 4),
            Panel("消费延迟（条）", "所有消费者组落后于分区末尾的消息总数。", "short",
                  [(f"sum({sel('consumer_lag', CONSUMERS, j)})", "落后")], "stat", 4, 4),
        ]),
        ("请求与事件", [
            Panel("请求量（次/秒）", "各服务每秒处理的 HTTP 请求（网关含转发的请求）。", "reqps",
                  [(f"sum by (job) (rate({http}[$__rate_interval]))", "{{job}}")], width=8),
            Panel("错误率（5xx 占比）", "各服务返回 5xx 的请求占比；网关的 502/504 表示后端不可用或超时。", "percentunit",
                  [(ratio_5xx(http, "job"), "{{job}}")], width=8),
            Panel("延迟 p95（秒）", "各服务 HTTP 请求耗时的 95 分位（不含 SSE 长连接与 /metrics）。", "s",
                  [("histogram_quantile(0.95, sum by (job, le) (rate("
                    + sel("http_request_seconds_bucket", HTTP, j + ', route!~"/api/notifications/stream|/metrics"') + "[$__rate_interval])))",
                    "{{job}}")], width=8),
            Panel("事件发布（次/秒）", "各服务 relay 每秒发布到 Kafka 的事件数。", "ops",
                  [(f"sum by (job) (rate({sel('events_published_total', 'plan|task', j)}[$__rate_interval]))", "{{job}}")], width=8),
            Panel("事件消费（按结果，次/秒）", "各消费者每秒处理的事件：handled 已处理、duplicate 重复被去重、ignored 不关心的类型、dead_lettered 死信。", "ops",
                  [(f"sum by (job, outcome) (rate({sel('events_consumed_total', CONSUMERS, j)}[$__rate_interval]))", "{{job}} {{outcome}}")], width=8),
            Panel("代理重启次数", "服务发现 Kafka 丢失数据（broker 纪元变化）的次数；内嵌 broker 重启时会出现。", "short",
                  [(f"sum by (job) (increase({sel('broker_epoch_changes_total', ALL, j)}[$__range]))", "{{job}}")], "bargauge", 8),
        ]),
    ], job_var=True)


def service(name: str, short: str, publishes: bool, consumes: bool, db: bool = True) -> Board:
    """One service: RED per route, its events, its outbox and consumers, its database pool."""
    j = f'job="{name}"'
    req = f"duban_{short}_http_requests_total{{{j}}}"
    rows: list[tuple[str, list[Panel]]] = [("HTTP（按接口）", [
        Panel("请求量（按接口，次/秒）", f"{name} 每个接口（路由模板）每秒的请求数。", "reqps",
              [(f"sum by (route) (rate({req}[$__rate_interval]))", "{{route}}")], width=8),
        Panel("错误率（5xx 占比，按接口）", f"{name} 每个接口返回 5xx 的比例；无 5xx 时为 0。", "percentunit",
              [(ratio_5xx(req, "route"), "{{route}}")], width=8),
        Panel("延迟 p95（按接口，秒）", f"{name} 每个接口耗时的 95 分位。", "s",
              [(f"histogram_quantile(0.95, sum by (route, le) (rate(duban_{short}_http_request_seconds_bucket{{{j}}}[$__rate_interval])))",
                "{{route}}")], width=8),
        Panel("按状态码（次/秒）", f"{name} 每秒的响应，按状态码；4xx 多为调用方的问题（未登录、无权限、数据不合规）。", "reqps",
              [(f"sum by (status) (rate({req}[$__rate_interval]))", "{{status}}")], width=24, height=6),
    ])]
    events: list[Panel] = []
    if publishes:
        events += [
            Panel("事件发布（按类型，次/秒）", f"{name} 的 relay 每秒发布的事件，按类型。", "ops",
                  [(f"sum by (type) (rate(duban_{short}_events_published_total{{{j}}}[$__rate_interval]))", "{{type}}")], width=8),
        ]
    events += [
        Panel("发件箱积压与最老事件", f"{name} outbox 待发布行数（左）与其中最老一行已等待的秒数。", "short",
              [(f"sum(duban_{short}_outbox_backlog{{{j}}})", "积压（条）"), (f"max(duban_{short}_outbox_oldest_age_seconds{{{j}}})", "最老（秒）")],
              width=8),
        Panel("被搁置的事件", f"{name} outbox 中因无法发布（如超过大小上限）而被搁置的行；用 duban events failed 查看与重排。", "short",
              [(f"max(duban_{short}_outbox_failed_rows{{{j}}})", "搁置")], "stat", 8),
    ]
    if consumes:
        events += [
            Panel("事件消费（按类型与结果，次/秒）", f"{name} 的消费者每秒处理的事件。", "ops",
                  [(f"sum by (type, outcome) (rate(duban_{short}_events_consumed_total{{{j}}}[$__rate_interval]))", "{{type}} {{outcome}}")],
                  width=8),
            Panel("事件处理耗时 p95（按类型，秒）", f"{name} 处理一个事件（含写库）的 95 分位耗时。", "s",
                  [(f"histogram_quantile(0.95, sum by (type, le) (rate(duban_{short}_event_handling_seconds_bucket{{{j}}}[$__rate_interval])))",
                    "{{type}}")], width=8),
            Panel("消费延迟（按组与分区）", f"{name} 各消费者组在每个分区上落后的消息数。", "short",
                  [(f"max by (consumer, topic, partition) (duban_{short}_consumer_lag{{{j}}})", "{{consumer}} {{topic}}/{{partition}}")],
                  width=8),
        ]
    rows.append(("事件", events))
    if db:
        rows.append(("数据库", [
            Panel("数据库连接池", f"{name} 连接池中使用中与空闲的连接数；使用中长期接近池大小说明需要更大的池或有慢查询。", "short",
                  [(f"sum by (state) (duban_{short}_db_pool_connections{{{j}}})", "{{state}}"), (f"max(duban_{short}_db_pool_size{{{j}}})", "池大小")],
                  width=24, height=6),
        ]))
    return Board(f"duban-{name}", f"督办 {name}", f"{name} 的请求（按接口）、事件、发件箱、消费者与数据库。", rows)


def gateway() -> Board:
    """The gateway: requests, and how its upstreams answer."""
    j = 'job="gateway"'
    req = f"duban_gateway_http_requests_total{{{j}}}"
    return Board("duban-gateway", "督办 gateway", "网关：收到的请求，以及转发到各服务的结果与耗时。", [("网关", [
        Panel("请求量（按接口，次/秒）", "网关每个路由每秒的请求数（/api/* 为转发）。", "reqps",
              [(f"sum by (route) (rate({req}[$__rate_interval]))", "{{route}}")], width=8),
        Panel("错误率（5xx 占比）", "网关返回 5xx 的比例：502 连不上后端，504 后端超时。", "percentunit",
              [(ratio_5xx(req, "job"), "{{job}}")], width=8),
        Panel("延迟 p95（秒）", "网关请求耗时的 95 分位（不含 SSE 长连接）。", "s",
              [(f'histogram_quantile(0.95, sum by (le) (rate(duban_gateway_http_request_seconds_bucket{{{j}, route!~"/api/notifications/stream|/metrics"}}[$__rate_interval])))',
                "p95")], width=8),
        Panel("上游请求（按服务与结果，次/秒）", "网关转发到各服务的请求，按结果（ok、unavailable、timeout…）。", "reqps",
              [("sum by (service, status) (rate(duban_gateway_upstream_requests_total[$__rate_interval]))", "{{service}} {{status}}")], width=12),
        Panel("上游延迟 p95（按服务，秒）", "各服务对网关转发请求给出响应头的 95 分位耗时。", "s",
              [("histogram_quantile(0.95, sum by (service, le) (rate(duban_gateway_upstream_seconds_bucket[$__rate_interval])))", "{{service}}")],
              width=12),
    ])])


def events() -> Board:
    """Events and Kafka: flow per topic and type, failures, lag, outbox, broker restarts."""
    return Board("duban-events", "督办 事件与 Kafka", "事件按主题与类型的发布、消费、失败、死信与处理耗时；消费延迟；发件箱；broker 重启与补发。", [
        ("事件流", [
            Panel("事件发布（按主题与类型，次/秒）", "各服务发布到 Kafka 的事件。", "ops",
                  [(f"sum by (topic, type) (rate({sel('events_published_total', 'plan|task')}[$__rate_interval]))", "{{topic}} {{type}}")]),
            Panel("事件消费（按类型与结果，次/秒）", "各消费者处理的事件，按结果。", "ops",
                  [(f"sum by (job, type, outcome) (rate({sel('events_consumed_total', CONSUMERS)}[$__rate_interval]))",
                    "{{job}} {{type}} {{outcome}}")]),
            Panel("事件失败（处理出错，会重试，次/秒）", "处理函数抛错的次数（每次重试都算）；重试用尽且数据库正常时转入死信。", "ops",
                  [((f"sum by (job, type) (rate({sel('events_handler_errors_total', CONSUMERS)}[$__rate_interval])) or "
                    f"sum by (job, type) (rate({sel('events_consumed_total', CONSUMERS)}[$__rate_interval])) * 0"), "{{job}} {{type}}")]),
            Panel("死信（所选时段，按类型与原因）", "所选时段内转入死信主题的事件，按服务、类型与原因。用 duban dlq list/show/requeue 处理。", "short",
                  [(f"sum by (job, type, reason) (increase({sel('events_failed_total', CONSUMERS)}[$__range]))", "{{job}} {{type}} {{reason}}")],
                  "bargauge"),
            Panel("事件处理耗时 p95（按类型，秒）", "处理一个事件（含写库）的 95 分位耗时。", "s",
                  [(f"histogram_quantile(0.95, sum by (type, le) (rate({sel('event_handling_seconds_bucket', CONSUMERS)}[$__rate_interval])))",
                    "{{type}}")]),
            Panel("消费延迟（按组与分区）", "每个消费者组在每个分区上落后的消息数；持续增长说明处理跟不上，可加副本（不超过分区数）。", "short",
                  [(f"max by (consumer, topic, partition) ({sel('consumer_lag', CONSUMERS)})", "{{consumer}} {{topic}}/{{partition}}")]),
        ]),
        ("发件箱与 broker", [
            Panel("发件箱积压（按服务）", "各服务 outbox 待发布的行数。", "short",
                  [(f"sum by (job) ({sel('outbox_backlog', ALL)})", "{{job}}")], width=8),
            Panel("最老待发布事件（秒）", "各服务 outbox 中最老一条待发布事件已等待的秒数；没有积压时为 0。", "s",
                  [(f"max by (job) ({sel('outbox_oldest_age_seconds', ALL)})", "{{job}}")], width=8),
            Panel("被搁置的事件（按服务）", "无法发布而被搁置的 outbox 行（如超过大小上限），不再阻塞后续事件；duban events failed 查看。", "short",
                  [(f"max by (job) ({sel('outbox_failed_rows', ALL)})", "{{job}}")], width=8),
            Panel("代理重启次数", "服务发现 broker 丢失数据（纪元变化）的次数。", "short",
                  [(f"sum by (job) (increase({sel('broker_epoch_changes_total', ALL)}[$__range]))", "{{job}}")], "bargauge", 8),
            Panel("broker 重启后补发的事件（所选时段）", "broker 丢失数据后重新排队发布的 outbox 行：只补消费者组可能没读到的部分。", "short",
                  [(f"sum by (job) (increase({sel('events_republished_total', ALL)}[$__range]))", "{{job}}")], "bargauge", 8),
            Panel("保留期清理（所选时段，按表）", "保留期任务删除的已发布 outbox 行与过期 inbox 行。", "short",
                  [(f"sum by (job, table) (increase({sel('retention_deleted_total', ALL)}[$__range]))", "{{job}} {{table}}")], "bargauge", 8),
        ]),
    ])


def business() -> Board:
    """The business: plan progress, overdue by district, notice delivery."""
    tasks = "duban_report_tasks"
    return Board("duban-business", "督办 业务", "计划进展、各区县逾期、通知送达与任务分解，数据来自 report-svc 读模型、notify-svc 和 task-svc。", [
        ("计划进展", [
            Panel("任务（按状态）", "全部任务按状态的数量：assigned 待签收 … completed 已完成。", "short",
                  [(f"sum by (status) ({tasks})", "{{status}}")], "bargauge", 8),
            Panel("完成率", "已完成任务占全部任务的比例。", "percentunit",
                  [(f'sum({tasks}{{status="completed"}}) / sum({tasks}) or sum({tasks}) * 0', "完成率")], "stat", 8),
            Panel("预警（按级别）", "未完成任务的预警级别：red 已逾期，yellow 7 天内到期，green 其余（含已完成）。", "short",
                  [(f"sum by (warning) ({tasks})", "{{warning}}")], "stat", 8),
        ]),
        ("区县", [
            Panel("逾期任务（按区县）", "每个区县（含其下属学校）已逾期未完成的任务数；市直单位计入“市直”。", "short",
                  [(f'sum by (district) ({tasks}{{warning="red"}}) or sum by (district) ({tasks}) * 0', "{{district}}")], "bargauge", 12, 10),
            Panel("逾期任务总数（趋势）", "已逾期未完成任务的总数；突增会触发告警 DubanOverdueTasksJump。", "short",
                  [(f'sum({tasks}{{warning="red"}}) or sum({tasks}) * 0', "逾期")], width=12, height=10),
        ]),
        ("通知与分解", [
            Panel("通知送达（按渠道与状态）", "各渠道通知的状态：站内信 unread 未读 / read 已读；外部渠道 pending 待发、failed 失败。", "short",
                  [("sum by (channel, state) (duban_notify_deliveries)", "{{channel}} {{state}}")], "bargauge", 8),
            Panel("站内通知创建（次/秒，按类型）", "notify-svc 每秒创建的站内通知，按类型（新任务、催办、退回…）。", "ops",
                  [("sum by (kind) (rate(duban_notify_notifications_total[$__rate_interval]))", "{{kind}}")], width=8),
            Panel("正在分解的计划", "task-svc 此刻正在把已发布计划分解为任务的处理数（所选时段内的最大值）。", "short",
                  [("max(max_over_time(duban_task_breakdowns_in_progress[$__range]))", "分解中")], "stat", 8),
        ]),
    ], tags=["duban", "business"])


def boards() -> dict[str, dict]:  # type: ignore[type-arg]
    """File name → dashboard JSON."""
    out = {"overview.json": overview().render(), "events.json": events().render(), "business.json": business().render(),
           "gateway.json": gateway().render()}
    for name, short, pub, con in (("plan-svc", "plan", True, False), ("task-svc", "task", True, True),
                                  ("notify-svc", "notify", False, True), ("report-svc", "report", False, True)):
        out[f"{name}.json"] = service(name, short, pub, con).render()
    return out


def main() -> int:
    """Write (or with --check, compare) every dashboard."""
    check = "--check" in sys.argv
    stale = []
    for fname, board in boards().items():
        text = json.dumps(board, ensure_ascii=False, indent=1) + "\n"
        path = OUT / fname
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(fname)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python deploy/grafana/build.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
