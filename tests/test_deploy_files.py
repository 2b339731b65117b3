"""deploy/: every file parses, names only metrics the services really expose, and agrees with duban/stack.py."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser as pq
import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from duban import stack
from duban.console import MIN_NODE, SOURCES
from duban.stack import DATA_SERVICES, SERVICES
from duban.supmetrics import SupervisorMetrics
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.settings import ServiceSettings
from duban_shared.testing.broker import free_port
from duban_shared.testing.services import eventually, running, running_many
from gateway.config import DEFAULT_CONSOLE_DIR, GatewaySettings
from gateway.main import create_app as gateway_app
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from report_svc.config import ReportSettings
from report_svc.main import create_app as report_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SETTINGS = {"plan-svc": PlanSettings, "task-svc": TaskSettings, "notify-svc": NotifySettings,
            "report-svc": ReportSettings, "gateway": GatewaySettings}
FACTORIES = {"plan-svc": plan_app, "task-svc": task_app, "notify-svc": notify_app, "report-svc": report_app}
# A route each app owns that needs a token (the gateway's upstreams are down: 502), and its metric label.
PROTECTED = {"plan-svc": ("/api/plans/p-123", "/api/plans/{plan_id}"), "task-svc": ("/api/tasks", "/api/tasks"),
             "notify-svc": ("/api/notifications/stream", "/api/notifications/stream"),
             "report-svc": ("/api/reports/plans", "/api/reports/plans"), "gateway": ("/api/plans", "/api/{path:path}")}
TARGET_LABELS = {"job", "instance", "namespace", "pod"}  # added by Prometheus, not by the services
GRAFANA_VARS = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m", "$job": ".+"}


def aliases(cls: type) -> set[str]:
    """Environment variable names a settings class reads."""
    return {f.alias for f in cls.model_fields.values() if f.alias}


def load_yaml(path: Path) -> list[Any]:
    """Every document of a YAML file."""
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def interpolate(value: object) -> str:
    """Compose's ${VAR:-default} with nothing set: the default."""
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", str(value))


def compose() -> dict[str, Any]:
    """deploy/compose.yaml, anchors merged."""
    return load_yaml(DEPLOY / "compose.yaml")[0]


def env_list(container: dict[str, Any]) -> dict[str, Any]:
    """A container's env as name → value or valueFrom."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_every_yaml_and_json_under_deploy_parses() -> None:
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml", ".json"})
    assert len(files) >= 20, files
    for path in files:
        docs = [json.loads(path.read_text(encoding="utf-8"))] if path.suffix == ".json" else load_yaml(path)
        assert docs and all(isinstance(d, dict) for d in docs), path


def test_compose_runs_the_stack_as_duban_up_does(monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    assert set(services) == {s.name for s in SERVICES} | {"kafka-1", "kafka-2", "kafka-3", "kafka-init", "keys", "postgres", "migrate",
                                                         "prometheus", "grafana"}
    migrate = services["migrate"]
    assert migrate["command"] == ["duban", "migrate"]
    monkeypatch.setenv("DATABASE_URL", interpolate(migrate["environment"]["DATABASE_URL"]))
    for s in SERVICES:
        monkeypatch.delenv(f"{s.env_prefix}_DATABASE_URL", raising=False)
    created = re.findall(r"CREATE DATABASE (\w+);", (DEPLOY / "postgres" / "init.sql").read_text())
    assert sorted(created) == sorted(make_url(stack.database_url(s)).database for s in DATA_SERVICES)
    for s in SERVICES:
        svc = services[s.name]
        env = {k: interpolate(v) for k, v in svc["environment"].items()}
        assert set(env) <= aliases(SETTINGS[s.name]) | {"DUBAN_SERVICE"}, s.name
        assert env["DUBAN_SERVICE"] == s.name
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka-1:9092,kafka-2:9092,kafka-3:9092" and env["DUBAN_RUN_MIGRATIONS"] == "false"
        mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
        assert env["DUBAN_VAR_DIR"] in mounts
        # Every container verifies tokens with the public key; only task-svc can sign them.
        assert mounts["/etc/duban/jwt"] == "jwt-public" and env["DUBAN_JWT_PUBLIC_KEY"].startswith("/etc/duban/jwt/")
        assert ("jwt-private" in mounts.values()) == (s.name == "task-svc")
        assert ("DUBAN_JWT_PRIVATE_KEY" in env) == (s.name == "task-svc")
        if s.has_db:  # every service talking to Kafka authenticates as itself
            assert env["DUBAN_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT" and env["DUBAN_KAFKA_USERNAME"] == s.name
            assert interpolate(services["kafka-init"]["environment"][f"{s.env_prefix}_KAFKA_PASSWORD"]) == env["DUBAN_KAFKA_PASSWORD"]
        assert svc.get("deploy", {}).get("replicas", 1) == (2 if s.name in ("task-svc", "notify-svc", "report-svc") else 1)
        for peer in DATA_SERVICES:
            assert env[f"{peer.env_prefix}_URL"] == f"http://{peer.name}:{peer.port}"
        if s.has_db:
            assert env["DATABASE_URL"] == stack.database_url(s)
            assert svc["expose"] == [str(s.port)]
            assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        else:
            assert "DATABASE_URL" not in env
            assert [p.rsplit(":", 1)[1] for p in svc["ports"]] == [str(s.port)]
    assert set(migrate["environment"]) <= aliases(ServiceSettings)
    keys = services["keys"]  # its event key volumes: tests/test_deploy_keys.py
    assert {v.split(":")[0] for v in keys["volumes"]} >= {"jwt-private", "jwt-public"}


def test_kafka_runs_three_kraft_brokers_with_scram_and_acls(tmp_path: Path) -> None:
    services = compose()["services"]
    brokers = [services[f"kafka-{i}"] for i in (1, 2, 3)]
    voters = {b["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"] for b in brokers}
    assert voters == {"1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"}
    assert sorted(b["environment"]["KAFKA_NODE_ID"] for b in brokers) == [1, 2, 3]
    for b in brokers:
        env = b["environment"]
        assert env["KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
        assert "CLIENT:SASL_PLAINTEXT" in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] and "PLAINTEXT:" not in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
        assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false" and env["KAFKA_MIN_INSYNC_REPLICAS"] == 2
    init = services["kafka-init"]["environment"]
    assert init["DUBAN_TOPIC_REPLICATION"] == 3
    # The ACL script: each service reads exactly what its consumers subscribe to, and writes only its own topics.
    script = (DEPLOY / "kafka" / "security.sh").read_text()
    reads: dict[str, set[str]] = {}
    for line in script.splitlines():
        m = re.match(r'^(?:for t in ([a-z ]+); do )?acl ([a-z-]+) (Read|Write) --topic "\$PREFIX\.(\$t|[a-z]+)"', line.strip())
        if m and m.group(4) not in ("epoch", "dlq"):
            names = m.group(1).split() if m.group(4) == "$t" else [m.group(4)]
            reads.setdefault(f"{m.group(2)} {m.group(3)}", set()).update(names)
    for name, factory in FACTORIES.items():
        app = factory(SETTINGS[name](database_url="sqlite://", messaging_enabled=False, log_json=False, demo_mode=True, var_dir=tmp_path))
        subscribed = {t.split(".", 1)[1] for c in app.state.ctx.consumers for t in c.topics}
        if "live_feed" in app.state.ctx.extras or name == "notify-svc":
            subscribed.add("notify")  # the live stream feed reads without a consumer group
        assert reads.get(f"{name} Read", set()) == subscribed, name
    assert reads["plan-svc Write"] == {"plan"} and reads["task-svc Write"] == {"task", "directory"}
    assert reads["notify-svc Write"] == {"notify"} and reads["report-svc Write"] == {"report"}


def test_serve_entry_point_runs_each_service_like_duban_up() -> None:
    spec = importlib.util.spec_from_file_location("deploy_serve", DEPLOY / "serve.py")
    assert spec and spec.loader
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    for s in SERVICES:
        opts = serve.options(s.name)
        assert (opts["app"], opts["factory"], opts["port"], opts["lifespan"]) == (s.module, True, s.port, "on")
    with pytest.raises(KeyError):
        serve.options("no-such-svc")
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "uv==0.13.8" in dockerfile and "uv sync --frozen --all-packages --no-dev" in dockerfile
    assert "deploy/serve.py" in dockerfile and re.search(r"^USER 10001", dockerfile, re.MULTILINE)


def dockerfile_stages(text: str) -> dict[str, list[str]]:
    """A Dockerfile's stages by name (the last one as "final"): their instructions, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("FROM "):
            m = re.match(r"FROM (\S+)(?: AS (\w+))?$", line)
            assert m, line
            current = stages.setdefault(m.group(2) or f"unnamed-{len(stages)}", [line])
        elif line and not line.startswith("#"):
            current.append(line)
    last = list(stages)[-1]
    stages["final"] = stages.pop(last)
    return stages


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether BuildKit leaves a context path out: a pattern matches it or one of its parent folders."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pat in patterns:
        negate = pat.startswith("!")
        pat = pat.lstrip("!")
        regex = re.escape(pat).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        if any(re.fullmatch(regex, p) for p in prefixes):
            excluded = not negate
    return excluded


def test_image_builds_the_console_and_the_gateway_serves_it() -> None:
    """Static check (no Docker here): a Node stage runs npm ci + vite build, and the image carries console/dist
    where the gateway looks for it."""
    stages = dockerfile_stages((DEPLOY / "Dockerfile").read_text())
    console = stages["console"]
    image = console[0].split()[1]
    major = int(re.fullmatch(r"node:(\d+)(?:\.\d+)*-[a-z-]+", image).group(1))  # type: ignore[union-attr]
    assert (major,) >= MIN_NODE[:1] and major >= 20, image
    steps = console[1:]
    lock = steps.index("COPY console/package.json console/package-lock.json ./")
    ci = next(i for i, s in enumerate(steps) if s.startswith("RUN npm ci --ignore-scripts"))
    sources = steps.index("COPY console/ ./")
    vite = next(i for i, s in enumerate(steps) if s.startswith("RUN npx --no-install vite build --outDir dist"))
    assert lock < ci < sources < vite, "dependencies from the lockfile first, then the sources, then the build"
    workdir = next(s.split()[1] for s in steps if s.startswith("WORKDIR "))
    # Where the gateway looks: config.py's default, relative to the repository, under /app in the image.
    served = Path("/app") / DEFAULT_CONSOLE_DIR.relative_to(ROOT)
    assert f"COPY --from=console {workdir}/dist {served}" in stages["final"]
    assert not any("npm" in s or "node" in s.lower() for s in stages["final"] if s.startswith("RUN"))
    ignore = [ln.strip() for ln in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    for built in ("console/node_modules/vue/package.json", "console/dist/index.html", "console/dist.tmp/x", "console/.build.lock"):
        assert dockerignored(built, ignore), f"{built} must not be sent to the build"
    for name in SOURCES:
        for f in [ROOT / "console" / name] if (ROOT / "console" / name).is_file() else sorted((ROOT / "console" / name).rglob("*")):
            rel = f.relative_to(ROOT).as_posix()
            assert not dockerignored(rel, ignore), f"{rel} is a console source the image build needs"
    assert dockerignored("services/plan-svc/tests/x.py", ignore) and not dockerignored("services/plan-svc/plan_svc/main.py", ignore)


def test_kubernetes_manifests_match_the_stack() -> None:
    k8s = DEPLOY / "k8s"
    listed = load_yaml(k8s / "kustomization.yaml")[0]["resources"]
    on_disk = sorted(p.name for p in k8s.glob("*.yaml") if p.name != "kustomization.yaml" and ".example." not in p.name)
    assert sorted(listed) == on_disk
    assert sorted(load_yaml(k8s / "jobs" / "kustomization.yaml")[0]["resources"]) == ["kafka-topics.yaml", "migrate.yaml"]
    config = load_yaml(k8s / "configmap.yaml")[0]["data"]
    assert set(config) <= aliases(ServiceSettings)
    assert config["DUBAN_RUN_MIGRATIONS"] == "false"
    for s in SERVICES:
        docs = {d["kind"]: d for d in load_yaml(k8s / f"{s.name}.yaml")}
        pod = docs["Deployment"]["spec"]["template"]
        (c,) = pod["spec"]["containers"]
        env = env_list(c)
        assert set(env) <= aliases(SETTINGS[s.name]) | {"DUBAN_SERVICE"}
        assert env["DUBAN_SERVICE"] == s.name
        assert c["ports"] == [{"name": "http", "containerPort": s.port}]
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
        assert pod["metadata"]["annotations"] == {
            "prometheus.io/scrape": "true", "prometheus.io/port": str(s.port), "prometheus.io/path": "/metrics"}
        assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == s.name, "kubernetes-scrape.yml makes this the job"
        assert docs["Service"]["spec"]["ports"][0]["port"] == s.port
        assert (env.get("DATABASE_URL") is not None) == s.has_db
        if s.has_db:
            assert env["DATABASE_URL"]["secretKeyRef"] == {"name": "duban-db", "key": s.name}
    for peer in DATA_SERVICES:
        assert config[f"{peer.env_prefix}_URL"] == f"http://{peer.name}:{peer.port}"
    backend = load_yaml(k8s / "ingress.yaml")[0]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "gateway", "port": {"number": stack.by_name("gateway").port}}
    (job,) = load_yaml(k8s / "jobs" / "migrate.yaml")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["duban", "migrate"]
    (topics,) = load_yaml(k8s / "jobs" / "kafka-topics.yaml")
    script = (DEPLOY / "kafka" / "create-topics.sh").read_text()
    assert topics["spec"]["template"]["spec"]["containers"][0]["args"] == [script]
    assert "retention.ms=-1" in script


def test_example_secret_databases_follow_the_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    db = next(d for d in load_yaml(DEPLOY / "k8s" / "secret.example.yaml") if d["metadata"]["name"] == "duban-db")
    monkeypatch.setenv("DATABASE_URL", db["stringData"]["server"])
    for s in DATA_SERVICES:
        monkeypatch.delenv(f"{s.env_prefix}_DATABASE_URL", raising=False)
        assert db["stringData"][s.name] == stack.database_url(s)


def test_prometheus_scrapes_every_service_under_its_name() -> None:
    jobs = {j["job_name"]: j for j in load_yaml(DEPLOY / "prometheus" / "prometheus.yml")[0]["scrape_configs"]}
    replicas = {name: svc.get("deploy", {}).get("replicas", 1) for name, svc in compose()["services"].items()}
    for s in SERVICES:
        job = jobs[s.name]
        if replicas[s.name] > 1:  # every replica, found through Docker's DNS
            assert job["dns_sd_configs"] == [{"names": [s.name], "type": "A", "port": s.port, "refresh_interval": "30s"}]
        else:
            assert job["static_configs"][0]["targets"] == [f"{s.name}:{s.port}"]


def rule_exprs() -> Iterator[tuple[str, str]]:
    """(alert name, PromQL) of every rule."""
    for group in load_yaml(DEPLOY / "prometheus" / "alerts.yml")[0]["groups"]:
        for rule in group["rules"]:
            yield rule["alert"], rule["expr"]


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    """(panel title, PromQL with Grafana's variables filled in) of every dashboard query."""
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        dash = json.loads(path.read_text(encoding="utf-8"))
        for panel in dash["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for var, value in GRAFANA_VARS.items():
                    expr = expr.replace(var, value)
                yield f"{path.stem}: {panel['title']}", expr


def test_dashboards_are_generated_from_build_py() -> None:
    spec = importlib.util.spec_from_file_location("grafana_build", DEPLOY / "grafana" / "build.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the file runs
    spec.loader.exec_module(mod)
    assert sorted(mod.boards()) == sorted(p.name for p in (DEPLOY / "grafana" / "dashboards").glob("*.json"))
    for name, board in mod.boards().items():
        assert (DEPLOY / "grafana" / "dashboards" / name).read_text(encoding="utf-8") == json.dumps(board, ensure_ascii=False, indent=1) + "\n", \
            f"{name} is stale: run python deploy/grafana/build.py"
        for panel in board["panels"]:
            if panel["type"] != "row":
                assert panel["title"] and panel["description"] and panel["fieldConfig"]["defaults"]["unit"], panel["title"]


def test_dashboard_titles_are_chinese_and_cover_the_essentials() -> None:
    titles = {t for t, _ in dashboard_exprs()}
    for needed in ("请求量", "错误率", "延迟 p95", "事件发布", "事件消费", "事件失败", "发件箱积压", "消费延迟", "死信", "代理重启次数"):
        assert any(needed in t for t in titles), needed


def selector_names(sel: pq.VectorSelector) -> list[str]:
    """Metric names a selector picks: its name, or the alternatives of a `duban_(a|b)_suffix` regex."""
    names = [sel.name] if sel.name else []
    for m in sel.matchers.matchers:
        if m.name != "__name__":
            continue
        if m.op == pq.MatchOp.Equal:
            names.append(m.value)
            continue
        match = re.fullmatch(r"duban_\(([a-z|]+)\)_([a-z_]+)", m.value)
        assert m.op == pq.MatchOp.Re and match, f"use duban_(a|b)_suffix alternations only: {m.value}"
        names += [f"duban_{svc}_{match.group(2)}" for svc in match.group(1).split("|")]
    assert names, f"selector without a metric name: {sel}"
    return names


def check_expr(where: str, expr: str, exposed: dict[str, set[str]]) -> None:
    """Parse, then check every metric and label name against what the services expose."""
    ast = pq.parse(expr)

    def labels_of(node: pq.Expr) -> set[str]:
        found: list[set[str]] = []
        pq.walk(node, lambda n: found.extend(exposed[m] for m in selector_names(n)) if isinstance(n, pq.VectorSelector) else None)
        return set.intersection(*found) | TARGET_LABELS

    def visit(node: pq.Expr) -> None:
        if isinstance(node, pq.VectorSelector):
            for name in selector_names(node):
                assert name in exposed, f"{where}: {name} is not exposed by any service"
                used = {m.name for m in node.matchers.matchers} - {"__name__"}
                assert used <= exposed[name] | TARGET_LABELS, f"{where}: {name} has no label {used - exposed[name]}"
        if isinstance(node, pq.AggregateExpr) and node.modifier and node.modifier.type == pq.AggModifierType.By:
            missing = set(node.modifier.labels) - labels_of(node.expr)
            assert not missing, f"{where}: grouping by labels the metrics lack: {missing}"

    pq.walk(ast, visit)


def exposed_names(app_metrics: Any, text: str) -> dict[str, set[str]]:
    """Series names a /metrics page can carry, with their labels, from its families and the registry."""
    labels = {c._name: set(c._labelnames) for c in app_metrics.registry._collector_to_names if isinstance(c, MetricWrapperBase)}
    out: dict[str, set[str]] = {}
    for fam in text_string_to_metric_families(text):
        own = labels.get(fam.name, set()) | {k for s in fam.samples for k in s.labels}
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(fam.type, [""])
        for suffix in suffixes:
            out[fam.name + suffix] = own | ({"le"} if suffix == "_bucket" else set())
    return out


async def test_rules_and_dashboard_name_only_exposed_metrics(make_settings: Any, tmp_path: Path) -> None:
    """Every metric and label the alert rules and the dashboard use is on some service's /metrics."""
    dead = f"http://127.0.0.1:{free_port()}"
    apps = {name: factory(make_settings(SETTINGS[name])) for name, factory in FACTORIES.items()}
    apps["gateway"] = gateway_app(GatewaySettings(var_dir=tmp_path / "gw", log_json=False, plan_svc_url=dead, task_svc_url=dead,
                                                  notify_svc_url=dead, report_svc_url=dead))
    exposed: dict[str, set[str]] = {"up": set()}
    async with running_many(apps) as clients:
        for name, client in clients.items():
            assert (await client.get("/healthz")).status_code == 200
            path, route = PROTECTED[name]
            status = 502 if name == "gateway" else 401
            assert (await client.get(path)).status_code == status
            page = await client.get("/metrics")
            assert page.status_code == 200
            found = exposed_names(apps[name].state.metrics, page.text)
            assert found[f"duban_{name.removesuffix('-svc')}_http_requests_total"] >= {"method", "route", "status"}
            # Labelled by route template (the latency rules leave out the SSE route by this name).
            assert f'route="{route}",status="{status}"' in page.text
            exposed.update(found)
    supervisor = SupervisorMetrics()
    supervisor.restarts.labels("task-svc")
    supervisor.up.labels("task-svc").set(1)
    exposed.update(exposed_names(supervisor, generate_latest(supervisor.registry).decode()))
    checked = 0
    for where, expr in [*rule_exprs(), *dashboard_exprs()]:
        check_expr(where, expr, exposed)
        checked += 1
    assert checked >= 30


def test_a_typo_in_a_metric_name_is_caught() -> None:
    exposed = {"duban_task_outbox_backlog": set(), "duban_plan_outbox_backlog": set()}
    check_expr("ok", 'sum by (job) ({__name__=~"duban_(plan|task)_outbox_backlog"})', exposed)
    for bad in ('duban_task_outbox_backlogg', '{__name__=~"duban_(plan|tsk)_outbox_backlog"}', 'sum by (kind) (duban_task_outbox_backlog)'):
        with pytest.raises(AssertionError):
            check_expr("bad", bad, exposed)
    with pytest.raises(ValueError):
        pq.parse("sum(rate(duban_task_outbox_backlog[5m])")


async def test_outbox_backlog_is_measured_while_the_broker_is_unreachable(make_settings: Any) -> None:
    """The backlog alerts need the gauge to grow when Kafka is down, the usual reason for a backlog."""
    app = plan_app(make_settings(PlanSettings, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}"))
    async with running(app) as client:
        ctx = app.state.ctx
        async with ctx.db.sessionmaker() as session:
            for i in range(3):
                await ctx.outbox.add(session, UnitUpserted(id=f"u{i}", code=f"c{i}", name="测试学校", kind="school"))
            await session.commit()

        async def backlog() -> bool:
            page = (await client.get("/metrics")).text
            return "duban_plan_outbox_backlog 3.0" in page

        await eventually(backlog, timeout=30, what="outbox backlog gauge = 3 with the broker down")
        assert (await client.get("/readyz")).status_code == 503


def test_operations_doc_names_every_setting() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name in sorted(set().union(*(aliases(cls) for cls in SETTINGS.values()))):
        assert f"`{name}`" in doc, f"docs/operations.md does not describe {name}"
    for s in DATA_SERVICES:
        assert f"`{s.env_prefix}_DATABASE_URL`" in doc or "`<SVC>_DATABASE_URL`" in doc


def test_kubernetes_pdbs_hpas_and_network_policies_fit_the_stack() -> None:
    k8s = DEPLOY / "k8s"
    deployments = {s.name: {d["kind"]: d for d in load_yaml(k8s / f"{s.name}.yaml")}["Deployment"] for s in SERVICES}
    pdbs = {d["metadata"]["name"]: d for d in load_yaml(k8s / "pdb.yaml")}
    assert set(pdbs) == set(deployments)
    for name, pdb in pdbs.items():
        assert pdb["spec"]["selector"]["matchLabels"] == deployments[name]["spec"]["selector"]["matchLabels"]
        if deployments[name]["spec"]["replicas"] > 1:
            assert pdb["spec"]["minAvailable"] == 1
    partitions = int(re.search(r'PARTITIONS="\$\{DUBAN_TOPIC_PARTITIONS:-(\d+)\}"', (DEPLOY / "kafka" / "create-topics.sh").read_text()).group(1))
    hpas = {d["spec"]["scaleTargetRef"]["name"]: d for d in load_yaml(k8s / "hpa.yaml")}
    assert set(hpas) == {"task-svc", "notify-svc", "report-svc"}, "every consumer service scales on lag"
    adapter = load_yaml(k8s / "monitoring" / "prometheus-adapter-rules.yaml")[0]["rules"]["external"][0]
    for name, hpa in hpas.items():
        assert hpa["spec"]["minReplicas"] == deployments[name]["spec"]["replicas"] == 2
        assert hpa["spec"]["maxReplicas"] <= partitions, "more consumers than partitions sit idle"
        (metric,) = hpa["spec"]["metrics"]
        short = name.removesuffix("-svc")
        assert metric["external"]["metric"]["name"] == f"duban_{short}_consumer_lag"
        assert re.fullmatch(adapter["name"]["matches"], metric["external"]["metric"]["name"])
    policies = {d["metadata"]["name"]: d for d in load_yaml(k8s / "networkpolicy.yaml")}
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    ports = {s.name: s.port for s in SERVICES}
    gw = policies["gateway"]["spec"]
    assert gw["ingress"][0]["ports"] == [{"protocol": "TCP", "port": ports["gateway"]}]
    reached = {rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: rule["ports"][0]["port"] for rule in gw["egress"]}
    assert reached == {s.name: s.port for s in DATA_SERVICES}
    inbound = policies["services-from-gateway"]["spec"]
    assert set(inbound["podSelector"]["matchExpressions"][0]["values"]) == {s.name for s in DATA_SERVICES}
    assert {p["port"] for p in inbound["ingress"][0]["ports"]} == {s.port for s in DATA_SERVICES}
    assert {p["port"] for p in policies["metrics-from-prometheus"]["spec"]["ingress"][0]["ports"]} == set(ports.values())
    data = policies["services-to-data"]["spec"]
    assert {p["port"] for p in data["egress"][0]["ports"]} == {5432, 9092}
    jobs = {d["metadata"]["labels"]["app.kubernetes.io/name"] for f in ("migrate.yaml", "kafka-topics.yaml") for d in load_yaml(k8s / "jobs" / f)}
    assert {s.name for s in DATA_SERVICES} | jobs == set(data["podSelector"]["matchExpressions"][0]["values"])


async def test_probe_paths_exist_in_every_app(make_settings: Any, tmp_path: Path) -> None:
    """Every probe path of the manifests answers on the running app (200 or 503, never 404)."""
    dead = f"http://127.0.0.1:{free_port()}"
    apps = {name: factory(make_settings(SETTINGS[name])) for name, factory in FACTORIES.items()}
    apps["gateway"] = gateway_app(GatewaySettings(var_dir=tmp_path / "gw", log_json=False, plan_svc_url=dead, task_svc_url=dead,
                                                  notify_svc_url=dead, report_svc_url=dead))
    async with running_many(apps) as clients:
        for s in SERVICES:
            docs = {d["kind"]: d for d in load_yaml(DEPLOY / "k8s" / f"{s.name}.yaml")}
            (c,) = docs["Deployment"]["spec"]["template"]["spec"]["containers"]
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert c[probe]["httpGet"]["port"] == "http"
                status = (await clients[s.name].get(c[probe]["httpGet"]["path"])).status_code
                assert status in (200, 503), f"{s.name} {probe}: {status}"
