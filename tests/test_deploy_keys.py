"""deploy/: every service gets its own event signing key and every owner's public key; every topic is created.

Static checks of compose and Kubernetes (no Docker or kubectl here), plus a real run of deploy/keys.py whose
output is handed to each service's app exactly as the mounts place it.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from aiokafka.structs import ConsumerRecord
from typer.testing import CliRunner

from duban.cli import app as cli
from duban.stack import SERVICES
from duban_shared.events.catalogue import CATALOGUE, DLQ_TOPIC, EPOCH_TOPIC, TOPICS, UnitUpserted
from duban_shared.messaging.signing import TOPIC_OWNERS, EventVerifier, key_paths, signer_for
from duban_shared.security import ConfigError
from duban_shared.testing.signing import owner_envelope
from gateway.config import GatewaySettings
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
OWNERS = sorted(set(TOPIC_OWNERS.values()))
SETTINGS = {"plan-svc": PlanSettings, "task-svc": TaskSettings, "notify-svc": NotifySettings,
            "report-svc": ReportSettings, "gateway": GatewaySettings}
FACTORIES = {"plan-svc": plan_app, "task-svc": task_app, "notify-svc": notify_app, "report-svc": report_app}
PUBLIC_SECRET = "duban-event-public-keys"


def load_yaml(path: Path) -> list[Any]:
    """Every document of a YAML file."""
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def keys_script() -> ModuleType:
    """deploy/keys.py, loaded as a module."""
    spec = importlib.util.spec_from_file_location("deploy_keys", DEPLOY / "keys.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def events_dir(service: str, var_dir: str) -> str:
    """Where the service's settings look for event keys, given its DUBAN_VAR_DIR."""
    return str(key_paths(SETTINGS[service](var_dir=Path(var_dir)).keys_dir, service)[0].parent)


def mounts(svc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Compose short-syntax volumes as (source, target, mode)."""
    return [tuple((v.split(":") + [""])[:3]) for v in svc.get("volumes", [])]  # type: ignore[misc]


def test_the_owner_list_matches_the_stack() -> None:
    assert OWNERS == sorted(s.name for s in SERVICES if s.has_db), "every data service publishes on a topic of its own"


def test_compose_mounts_each_service_only_its_own_event_key() -> None:
    compose = load_yaml(DEPLOY / "compose.yaml")[0]
    services, script = compose["services"], keys_script()
    for s in SERVICES:
        svc = services[s.name]
        target = events_dir(s.name, svc["environment"]["DUBAN_VAR_DIR"])
        found = [m for m in mounts(svc) if m[0].startswith("events-") or m[1] == target]
        assert found == ([(f"events-{s.name}", target, "ro")] if s.name in OWNERS else []), s.name
        if s.name in OWNERS:  # starts only once the keys are made
            assert svc["depends_on"]["keys"]["condition"] == "service_completed_successfully", s.name
    private = {f"events-{o}" for o in OWNERS} | {"jwt-private"}
    for name, svc in services.items():  # nobody else mounts a private key volume
        own = private if name == "keys" else ({f"events-{name}"} & private) | ({"jwt-private"} if name == "task-svc" else set())
        assert {m[0] for m in mounts(svc)} & private == own, name
    keys = services["keys"]
    assert keys["command"] == ["python", "/app/deploy/keys.py", str(script.ROOT)] and keys["user"] == "10001:10001"
    expected = {("jwt-private", f"{script.ROOT}/{script.JWT_PRIVATE}", ""), ("jwt-public", f"{script.ROOT}/{script.JWT_PUBLIC}", "")}
    expected |= {(f"events-{o}", str(script.event_dir(script.ROOT, o)), "") for o in OWNERS}
    assert set(mounts(keys)) == expected
    assert {f"events-{o}" for o in OWNERS} <= set(compose["volumes"])
    # A new named volume takes the owner of its mount point: the image makes them for the non-root keys step.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    made = set(re.search(r"mkdir -p ([^&]+)&&", dockerfile.replace("\\\n", " ")).group(1).split())  # type: ignore[union-attr]
    assert {m[1] for m in mounts(keys)} <= made and "chown -R duban:duban /var/lib/duban /keys" in dockerfile
    assert "deploy/keys.py" in dockerfile


def test_keys_script_makes_what_each_service_needs_to_start(tmp_path: Path) -> None:
    script, root = keys_script(), tmp_path / "keys"
    script.make_keys(root)
    assert sorted(p.name for p in (root / script.JWT_PUBLIC).iterdir()) == ["jwt-public.pem"]
    assert (root / script.JWT_PUBLIC / "jwt-public.pem").read_bytes() == (root / script.JWT_PRIVATE / "jwt-public.pem").read_bytes()
    pubs = {o: key_paths(root / o, o)[1].read_bytes() for o in OWNERS}
    for svc in OWNERS:
        folder = script.event_dir(root, svc)
        assert sorted(p.name for p in folder.iterdir()) == sorted([f"{svc}.key", *(f"{o}.pub" for o in OWNERS)]), svc
        assert (folder / f"{svc}.key").stat().st_mode & 0o777 == 0o600
        assert {o: (folder / f"{o}.pub").read_bytes() for o in OWNERS} == pubs
    # Each owner's signature verifies with the public key every other service holds.
    env = owner_envelope(UnitUpserted(id="u1", code="c1", name="一小", kind="school"))
    for signer_svc in OWNERS:
        signer = signer_for(root / signer_svc, signer_svc, "p", create=False)
        assert signer is not None
        env = env.model_copy(update={"source": signer_svc})
        topic = next(t for t, o in TOPIC_OWNERS.items() if o == signer_svc)
        value = env.to_bytes()
        rec = ConsumerRecord(topic=f"p.{topic}", partition=0, offset=0, timestamp=0, timestamp_type=0, key=b"k", value=value,
                             checksum=None, serialized_key_size=1, serialized_value_size=len(value),
                             headers=signer.headers(f"p.{topic}", value))
        for reader in OWNERS:
            assert EventVerifier(root / reader, "p").check(rec, env) is None, (signer_svc, reader)
    # The app of every service starts outside demo mode from exactly what its mounts give it.
    for svc in OWNERS:
        var = tmp_path / f"var-{svc}"
        extra: dict[str, Any] = {}
        if svc == "task-svc":  # the token issuer and its admin account
            extra = {"admin_password": "Str0ng-管理员-口令!", "jwt_private_key_path": root / script.JWT_PRIVATE / "jwt-private.pem"}
        settings = SETTINGS[svc](var_dir=var, database_url="sqlite://", messaging_enabled=False, log_json=False, demo_mode=False,
                                 jwt_public_key_path=root / script.JWT_PUBLIC / "jwt-public.pem", **extra)
        with pytest.raises(ConfigError, match="事件签名密钥"):
            FACTORIES[svc](settings)
        shutil.copytree(script.event_dir(root, svc), Path(events_dir(svc, str(var))))
        assert FACTORIES[svc](settings).state.ctx.relay.signer.service == svc


def test_keys_script_keeps_keys_and_hands_out_a_rotated_one(tmp_path: Path) -> None:
    script, root = keys_script(), tmp_path / "keys"
    script.make_keys(root)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    script.make_keys(root)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    shutil.rmtree(script.event_dir(root, "plan-svc"))  # `docker volume rm duban_events-plan-svc`
    script.make_keys(root)
    new_pub = key_paths(root / "plan-svc", "plan-svc")[1].read_bytes()
    assert new_pub != before[key_paths(root / "plan-svc", "plan-svc")[1]]
    for svc in OWNERS:
        assert (script.event_dir(root, svc) / "plan-svc.pub").read_bytes() == new_pub, svc
        if svc != "plan-svc":
            assert (script.event_dir(root, svc) / f"{svc}.key").read_bytes() == before[script.event_dir(root, svc) / f"{svc}.key"]


def test_kubernetes_mounts_each_service_only_its_own_event_key() -> None:
    k8s = DEPLOY / "k8s"
    var_dir = load_yaml(k8s / "configmap.yaml")[0]["data"]["DUBAN_VAR_DIR"]
    public_items = [{"key": f"{o}.pub", "path": f"{o}.pub"} for o in OWNERS]
    for s in SERVICES:
        spec = {d["kind"]: d for d in load_yaml(k8s / f"{s.name}.yaml")}["Deployment"]["spec"]["template"]["spec"]
        (c,) = spec["containers"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        at = [m for m in c["volumeMounts"] if m["mountPath"] == events_dir(s.name, var_dir)]
        text = yaml.safe_dump(spec)
        assert set(re.findall(r"duban-event-key-[a-z-]+", text)) == ({f"duban-event-key-{s.name}"} if s.name in OWNERS else set())
        if s.name not in OWNERS:
            assert not at and PUBLIC_SECRET not in text, s.name
            continue
        (mount,) = at
        assert mount["readOnly"] is True
        projected = volumes[mount["name"]]["projected"]
        assert projected["defaultMode"] == 0o440 and spec["securityContext"]["fsGroup"] == 10001  # group-readable by the app
        assert projected["sources"] == [
            {"secret": {"name": f"duban-event-key-{s.name}", "items": [{"key": f"{s.name}.key", "path": f"{s.name}.key"}]}},
            {"secret": {"name": PUBLIC_SECRET, "items": public_items}},
        ], s.name
    for job in ("migrate.yaml", "kafka-topics.yaml"):
        assert "duban-event" not in (k8s / "jobs" / job).read_text()
    secrets = {d["metadata"]["name"]: set(d["stringData"]) for d in load_yaml(k8s / "secret.example.yaml")}
    assert secrets[PUBLIC_SECRET] == {f"{o}.pub" for o in OWNERS}
    for o in OWNERS:
        assert secrets[f"duban-event-key-{o}"] == {f"{o}.key"}
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "duban keys init" in doc and PUBLIC_SECRET in doc and "duban-event-key-" in doc


def test_the_kubectl_commands_name_files_duban_keys_init_makes(tmp_path: Path) -> None:
    """Every `--from-file=keys/...` in the docs and the example secret exists after `duban keys init --dir keys`."""
    result = CliRunner().invoke(cli, ["keys", "init", "--dir", str(tmp_path / "keys")])
    assert result.exit_code == 0, result.output
    made = {str(p.relative_to(tmp_path)) for p in (tmp_path / "keys").rglob("*") if p.is_file()}
    events = {f"keys/events/{o}.{ext}" for o in OWNERS for ext in ("key", "pub")}
    assert made == events | {"keys/jwt-private.pem", "keys/jwt-public.pem"}
    for path, needed in ((ROOT / "docs" / "operations.md", made), (DEPLOY / "k8s" / "secret.example.yaml", events)):
        refs = re.findall(r"--from-file=(keys/[\w./$-]+)", path.read_text(encoding="utf-8"))
        named = {r.replace("$svc", o) for r in refs for o in OWNERS}
        assert named == needed, path.name


def created_topics(script: str) -> set[str]:
    """Topic suffixes a create-topics script creates (its `for t in …` loop and single creations)."""
    joined = script.replace("\\\n", " ")
    loop = re.search(r"^for t in ([a-z ]+); do", joined, re.MULTILINE)
    assert loop
    out: set[str] = set()
    for line in joined.splitlines():
        if "kafka-topics.sh" in line and "--create" in line:
            (name,) = re.findall(r'--topic "\$PREFIX\.(\$t|[a-z]+)"', line)
            out |= set(loop.group(1).split()) if name == "$t" else {name}
    return out


def test_topic_scripts_create_every_topic_of_the_catalogue() -> None:
    wanted = {spec.topic for spec in CATALOGUE.values()} | set(TOPICS) | set(TOPIC_OWNERS) | {DLQ_TOPIC, EPOCH_TOPIC}
    assert {"notify", "report", "dlq", "epoch"} <= wanted
    script = (DEPLOY / "kafka" / "create-topics.sh").read_text()
    assert created_topics(script) == wanted
    (job,) = load_yaml(DEPLOY / "k8s" / "jobs" / "kafka-topics.yaml")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == [script]
    assert created_topics(script.replace("notify ", "")) == wanted - {"notify"}  # the check sees a missing topic
