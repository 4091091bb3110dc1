"""``python -m handoff``: operator commands for the desk.

    python -m handoff migrate
    python -m handoff agents create EMAIL "Display Name"   # asks for the password
    python -m handoff agents list
    python -m handoff agents disable EMAIL
    python -m handoff agents bootstrap   # first start only: an admin with a random password

``DATABASE_URL`` selects the database (default: SQLite under ``var/``). The
password is read without echo, or from ``AGENT_PASSWORD`` for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.settings import ROOT
from store import make_engine, migrate, session_factory
from store.agents import AgentError, create_agent
from store.models import Agent


def _password() -> str:
    if os.environ.get("AGENT_PASSWORD"):
        return os.environ["AGENT_PASSWORD"]
    first = getpass.getpass("Password (10+ characters): ")
    if first != getpass.getpass("Repeat it: "):
        raise AgentError("the passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m handoff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the desk's tables")
    agents = commands.add_parser("agents", help="manage agent accounts")
    actions = agents.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create")
    create.add_argument("email")
    create.add_argument("name")
    actions.add_parser("list")
    disable = actions.add_parser("disable")
    disable.add_argument("email")
    actions.add_parser("bootstrap", help="create admin@localhost if there is no agent yet")
    args = parser.parse_args(argv)

    engine = make_engine()
    migrate(engine)
    if args.command == "migrate":
        print("handoff: schema is up to date")
        return 0
    try:
        with session_factory(engine).begin() as db:
            if args.action == "create":
                agent = create_agent(db, args.email, args.name, _password())
                print(f"handoff: created agent {agent.email} (id {agent.id})")
            elif args.action == "bootstrap":
                bootstrap(db)
            elif args.action == "list":
                for agent in db.execute(select(Agent).order_by(Agent.id)).scalars():
                    state = "active" if agent.active else "disabled"
                    print(
                        f"{agent.id}\t{agent.email}\t{agent.display_name}\t{agent.presence}\t{state}"
                    )
            else:
                agent = db.execute(
                    select(Agent).where(Agent.email == args.email.strip().lower())
                ).scalar_one_or_none()
                if agent is None:
                    raise AgentError(f"no agent with email {args.email}")
                agent.active = False
                print(f"handoff: disabled {agent.email}")
    except AgentError as exc:
        print(f"handoff: error: {exc}", file=sys.stderr)
        return 2
    return 0


def bootstrap(db: Session) -> None:
    """A first account, so a fresh install can be tried; its password is kept in var/."""
    keep = ROOT / "var" / "initial_agent_password"
    if db.execute(select(Agent.id).limit(1)).first() is not None:
        if keep.exists():
            print(f"handoff: agent admin@localhost, password in {keep}")
        return
    password = os.environ.get("AGENT_PASSWORD") or secrets.token_urlsafe(12)
    create_agent(db, "admin@localhost", "Admin", password)
    keep.parent.mkdir(parents=True, exist_ok=True)
    keep.write_text(password + "\n")
    keep.chmod(0o600)
    print(f"handoff: created agent admin@localhost with password {password} (kept in {keep})")


if __name__ == "__main__":
    sys.exit(main())
