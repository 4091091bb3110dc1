"""deploy/prometheus/alerts.yml and deploy/grafana/support-dashboard.json: the rules
pass ``promtool check rules`` and fire as alerts_test.yml expects (``promtool test
rules``; Debian's ``prometheus`` package), and every metric they name is one the
gateway exports."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

# Imported for their metrics: each module registers its own on the default registry.
import common.limits
import common.metrics  # noqa: F401
import gateway.metrics  # noqa: F401
from common.channel import Connector, DeliveryFailed, Refused
from common.messages import OutboundMessage
from common.settings import DeskSettings
from events import EventHub
from handoff.outbox import Outbox
from store.conversations import ensure_conversation
from store.db import make_engine, migrate, session_factory
from tests.support.services import service_missing

ROOT = Path(__file__).resolve().parent.parent
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "support-dashboard.json"
METRIC = re.compile(r"\bsupport_[a-z_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported() -> set[str]:
    """The sample names the gateway's /metrics can show."""
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("support_"):
            names.update(family.name + s for s in SUFFIXES.get(family.type, ("",)))
    return names


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    if tool is None:
        service_missing("promtool is not installed (Debian: apt-get install prometheus)")
    return subprocess.run(
        [tool, *args], cwd=ALERTS.parent, capture_output=True, text=True, timeout=120
    )


def test_the_alert_rules_are_valid_and_fire_as_expected() -> None:
    checked = promtool("check", "rules", ALERTS.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_alerts_cover_the_queue_sla_bot_and_deliveries() -> None:
    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
    by_name = {r["alert"]: r["expr"] for r in rules}
    assert "support_queue_length" in by_name["SupportQueueLong"]
    assert "support_sla_breaches_total" in by_name["SupportSlaBreaches"]
    assert 'outcome="unavailable"' in by_name["SupportBotUnavailable"]
    assert "support_delivery_failures_total" in by_name["SupportDeliveryFailures"]
    used = {m for expr in by_name.values() for m in METRIC.findall(expr)}
    assert used <= exported(), used - exported()


def test_the_dashboard_names_only_exported_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    assert exprs and all(exprs)
    used = {m for expr in exprs for m in METRIC.findall(expr)}
    assert used <= exported(), used - exported()
    # Every metric family the gateway exports has a panel.
    families = {re.sub(r"_(total|bucket|sum|count)$", "", m) for m in exported()}
    shown = {re.sub(r"_(total|bucket|sum|count)$", "", m) for m in used}
    assert families <= shown, families - shown


class Failing(Connector):
    """A platform that fails every reply: transiently, or (*refuses*) for good."""

    name = "telegram"

    def __init__(self, refuses: bool) -> None:
        self.refuses = refuses

    async def send_text_message(self, user_id: str, text: str) -> None:
        raise Refused("blocked") if self.refuses else DeliveryFailed("timeout")


def test_a_reply_the_platform_does_not_take_is_counted(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    migrate(engine)
    database = session_factory(engine)
    with database.begin() as db:
        ensure_conversation(db, "telegram:42", "telegram", "en")

    def count(status: str) -> float:
        labels = {"channel": "telegram", "status": status}
        return REGISTRY.get_sample_value("support_delivery_failures_total", labels) or 0.0

    before = {status: count(status) for status in ("failed", "refused")}
    for refuses in (False, True, False):
        outbox = Outbox(database, EventHub(), DeskSettings(), {"telegram": Failing(refuses)})
        asyncio.run(outbox.deliver("telegram:42", [OutboundMessage(text="hello")]))
    assert count("failed") - before["failed"] == 2
    assert count("refused") - before["refused"] == 1
    engine.dispose()
