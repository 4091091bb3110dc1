"""The compose file, the Dockerfile and the load balancer start exactly the role
commands the README documents (``scripts/serve.sh ROLE``), which are also what the
multi-process tests run. No Docker engine is needed to check that they agree."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = {"migrate", "actions", "rasa", "gateway"}


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "compose.yaml").read_text())  # type: ignore[no-any-return]


def app_services() -> dict[str, dict]:  # type: ignore[type-arg]
    services = compose()["services"]
    return {n: s for n, s in services.items() if s.get("image") == "wallet-support:latest"}


def test_every_app_container_runs_one_role_through_the_role_script() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["bash", "scripts/serve.sh"]' in dockerfile
    services = app_services()
    roles = {name: s["command"] for name, s in services.items()}
    assert all(len(command) == 1 and command[0] in ROLES for command in roles.values()), roles
    assert {command[0] for command in roles.values()} == ROLES
    readme = (ROOT / "README.md").read_text()
    for role in ROLES:
        assert f"scripts/serve.sh {role}" in readme


def test_the_balancer_and_the_gateways_know_every_instance() -> None:
    services = app_services()
    gateways = sorted(n for n, s in services.items() if s["command"] == ["gateway"])
    rasas = sorted(n for n, s in services.items() if s["command"] == ["rasa"])
    assert len(gateways) >= 2 and len(rasas) >= 2
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert sorted(re.findall(r"server (\S+):8000", nginx)) == gateways
    env = services[gateways[0]]["environment"]
    assert sorted(u.split("//")[1].split(":")[0] for u in env["DESK_RASA_URL"].split(",")) == rasas
    assert env["DATABASE_URL"].startswith("postgresql") and env["REDIS_URL"].startswith("redis://")


def test_the_role_script_refuses_an_unknown_role() -> None:
    result = subprocess.run(
        ["bash", "scripts/serve.sh", "everything"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2 and "migrate|actions|rasa|gateway" in result.stderr
