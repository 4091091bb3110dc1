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


# Issue 15, item 2: only the balancer is reachable; internal roles on internal
# networks; secrets from deploy/secrets.env, never defaults. (Attacks on the real
# Redis and Rasa as configured here: tests/security/test_deploy.py.)

INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(:?[?-])?([^}]*)\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR:?message}`` (and ``$$``), enough for this file."""

    def value(match: re.Match[str]) -> str:
        name, operator, message = match.groups()
        if operator == ":?" and not env.get(name):
            raise LookupError(f"{name}: {message}")
        return env.get(name, "")

    return INTERPOLATION.sub(value, text.replace("$$", "\0")).replace("\0", "$")


def networks_of(service: dict) -> set[str]:  # type: ignore[type-arg]
    return set(service.get("networks") or ["default"])


def test_only_the_balancer_publishes_a_port_and_internal_roles_are_internal() -> None:
    config = compose()
    services, networks = config["services"], config["networks"]
    assert [n for n, s in services.items() if s.get("ports") or s.get("expose")] == ["balancer"]
    internal = {name for name, net in networks.items() if (net or {}).get("internal")}
    for name, service in services.items():
        assert "network_mode" not in service, name
        assert networks_of(service) <= set(networks), name  # never the default network
        if name in ("postgres", "redis", "migrate") or name.startswith("rasa"):
            assert networks_of(service) <= internal, f"{name} can reach out or be reached"
    gateways = [n for n, s in app_services().items() if s["command"] == ["gateway"]]
    for name in gateways:
        assert networks_of(services["balancer"]) & networks_of(services[name]), name
    assert not networks_of(services["balancer"]) & internal


def test_the_action_server_is_reachable_from_rasa_only() -> None:
    services = compose()["services"]
    actions = networks_of(services["actions"])
    peers = {
        name
        for name, service in services.items()
        if name != "actions" and networks_of(service) & actions
    }
    rasas = {n for n, s in app_services().items() if s["command"] == ["rasa"]}
    assert rasas <= peers and peers - rasas <= {"postgres"}, peers  # tickets: it asks PostgreSQL
    for name in rasas:
        assert services[name]["environment"]["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"
    # A gateway can't reach the action server, so it doesn't health-check it (its
    # healthcheck in compose shows it instead); an empty ACTIONS_URL turns that off.
    for name, service in app_services().items():
        if service["command"] == ["gateway"]:
            assert service["environment"]["ACTIONS_URL"] == "", name
    assert "curl" in services["actions"]["healthcheck"]["test"]
    serve = (ROOT / "scripts" / "serve.sh").read_text()
    assert '"${ACTIONS_URL-http://127.0.0.1:5055}"' in serve  # empty stays empty


def test_no_default_passwords_and_each_role_gets_only_its_secrets() -> None:
    text = (ROOT / "compose.yaml").read_text()
    assert "support:support" not in text
    required = {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "DESK_SECRET"}
    used = INTERPOLATION.findall(text)
    assert {name for name, _, _ in used} == required
    assert all(
        operator == ":?" and "deploy/secrets.env" in message for _, operator, message in used
    )
    # Missing secrets stop compose with a message that says what to do.
    for missing in required:
        env = {name: "x" * 64 for name in required if name != missing}
        try:
            interpolate(text, env)
        except LookupError as error:
            assert str(error).startswith(missing) and "deploy/secrets.env" in str(error)
        else:
            raise AssertionError(f"compose would start without {missing}")
    secrets = {name: f"{name.lower()}-value" for name in required}
    services = yaml.safe_load(interpolate(text, secrets))["services"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "postgres_password-value"
    redis = services["redis"]
    assert redis["environment"]["REDIS_PASSWORD"] == "redis_password-value"
    assert (
        "--requirepass" in " ".join(redis["command"]) and "$REDIS_PASSWORD" in redis["command"][2]
    )
    holders: dict[str, set[str]] = {}
    for name, service in services.items():
        for value in (service.get("environment") or {}).values():
            for secret, text_ in secrets.items():
                if text_ in str(value):
                    holders.setdefault(secret, set()).add(name.rstrip("-12"))
    assert holders["DESK_SECRET"] == {"gateway"}
    assert holders["REDIS_PASSWORD"] == {"redis", "rasa", "gateway"}
    assert holders["POSTGRES_PASSWORD"] == {"postgres", "migrate", "actions", "rasa", "gateway"}
    env = services["gateway-1"]["environment"]
    assert env["REDIS_URL"] == "redis://:redis_password-value@redis:6379/0"
    assert env["DATABASE_URL"].startswith("postgresql+psycopg2://support:postgres_password-value@")


def test_the_secrets_file_is_documented_and_never_committed_or_baked_in() -> None:
    example = (ROOT / "deploy" / "env.example").read_text()
    names = set(re.findall(r"^([A-Z_]+)=$", example, re.MULTILINE))
    assert names == {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "DESK_SECRET"}
    assert "deploy/secrets.env" in (ROOT / ".gitignore").read_text().splitlines()
    assert "deploy/secrets.env" in (ROOT / ".dockerignore").read_text().splitlines()
    readme = (ROOT / "README.md").read_text()
    assert "cp deploy/env.example deploy/secrets.env" in readme
    assert "docker compose --env-file deploy/secrets.env up" in readme


def test_the_image_exposes_the_gateway_only_and_rasa_runs_without_its_api() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.findall(r"^EXPOSE (.+)$", dockerfile, re.MULTILINE) == ["8000"]
    serve = (ROOT / "scripts" / "serve.sh").read_text().splitlines()
    code = "\n".join(line for line in serve if not line.lstrip().startswith("#"))
    assert "--enable-api" not in code and "--auth-token" not in code
    # Readiness is the REST channel's own route, which needs no API.
    run = (ROOT / "scripts" / "run.sh").read_text()
    assert "/status" not in run and "$RASA_PORT/webhooks/rest/" in run
