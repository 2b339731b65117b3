"""Issue 12: outside demo mode a service refuses to start with missing secrets; XFF is trusted only from proxies."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from duban_shared.auth import ensure_keypair
from duban_shared.security import ConfigError, client_address, parse_networks
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from report_svc.config import ReportSettings
from report_svc.main import create_app as report_app


def test_services_refuse_missing_keys_outside_demo_mode(make_settings) -> None:
    for cls, factory in ((PlanSettings, plan_app), (NotifySettings, notify_app)):
        settings = make_settings(cls, demo_mode=False)
        with pytest.raises(ConfigError, match="duban keys init"):
            factory(settings)
        assert not (settings.keys_dir / "jwt-public.pem").exists()  # nothing made up on the fly
    ensure_keypair(make_settings(PlanSettings).keys_dir)
    for cls, factory in ((PlanSettings, plan_app), (NotifySettings, notify_app), (ReportSettings, report_app)):
        with pytest.raises(ConfigError, match="事件签名密钥"):
            factory(make_settings(cls, demo_mode=False))  # owns a topic (plan; notify's live feed; report's rebuild requests)


def test_sasl_needs_its_credentials(make_settings) -> None:
    with pytest.raises(ConfigError, match="DUBAN_KAFKA_PASSWORD"):
        plan_app(make_settings(PlanSettings, kafka_security_protocol="SASL_SSL", kafka_username="plan-svc"))


def _request(peer: str, xff: str | None) -> SimpleNamespace:
    headers = {"x-forwarded-for": [xff] if xff else []}
    return SimpleNamespace(client=SimpleNamespace(host=peer), headers=SimpleNamespace(getlist=lambda k: headers.get(k, [])))


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    trusted = parse_networks("10.0.0.0/8,127.0.0.1/32")
    assert client_address(_request("203.0.113.5", "1.2.3.4"), trusted) == "203.0.113.5"  # a client cannot pick its address
    assert client_address(_request("10.1.2.3", "203.0.113.5"), trusted) == "203.0.113.5"  # the gateway says who called
    # A client behind the gateway that sent its own X-Forwarded-For: the gateway's appended hop wins.
    assert client_address(_request("10.1.2.3", "1.2.3.4, 203.0.113.5"), trusted) == "203.0.113.5"
    assert client_address(_request("10.1.2.3", "garbage"), trusted) == "10.1.2.3"
