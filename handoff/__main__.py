"""``python -m handoff``: operator commands for the desk.

    python -m handoff migrate
    python -m handoff agents create EMAIL "Display Name"   # asks for the password
    python -m handoff agents list
    python -m handoff agents disable EMAIL
    python -m handoff agents release EMAIL            # their chats back to the queue
    python -m handoff agents reassign EMAIL TO_EMAIL  # their chats to a colleague
    python -m handoff agents create EMAIL NAME --admin  # an admin (= --role admin)
    python -m handoff agents create EMAIL NAME --role supervisor
    python -m handoff agents role EMAIL supervisor     # agent | supervisor | admin
    python -m handoff agents link EMAIL               # a one-time set-password link
    python -m handoff agents route EMAIL --languages en,es --max-chats 4  # routing
    python -m handoff agents bootstrap   # first start only: an admin with a random password
    python -m handoff privacy export USER [--out FILE]  # everything about an end user
    python -m handoff privacy erase USER --yes          # ... deleted, Rasa's tracker too

``DATABASE_URL`` selects the database (default: SQLite under ``var/``). The
password is read without echo, or from ``AGENT_PASSWORD`` for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import sys
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from common import logs
from common.clock import utcnow
from common.settings import ROOT, DeskSettings
from handoff.privacy import Privacy
from handoff.supervision import hand_over
from store import (
    Conflict,
    NotFound,
    accounts,
    audit,
    make_engine,
    migrate,
    routing,
    session_factory,
)
from store.agents import AgentError, create_agent, shown_presence
from store.models import ROLES, Agent
from store.routing import RoutingError
from store.trackers import Trackers, tracker_url


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
    create.add_argument("--admin", action="store_true", help="an admin (same as --role admin)")
    create.add_argument("--role", choices=ROLES, help="agent (default), supervisor or admin")
    change = actions.add_parser("role", help="change the agent's role")
    change.add_argument("email")
    change.add_argument("role", choices=ROLES)
    link = actions.add_parser("link", help="a one-time set-password link (48 hours)")
    link.add_argument("email")
    route = actions.add_parser("route", help="set the agent's languages and chat capacity")
    route.add_argument("email")
    for parser_ in (create, route):
        parser_.add_argument("--languages", help="comma-separated, of zh,en,es (default: all)")
        parser_.add_argument("--max-chats", type=int, help="concurrent live chats (default: 3)")
    actions.add_parser("list")
    disable = actions.add_parser("disable")
    disable.add_argument("email")
    release = actions.add_parser("release", help="put the agent's chats back in the queue")
    release.add_argument("email")
    reassign = actions.add_parser("reassign", help="give the agent's chats to another")
    reassign.add_argument("email")
    reassign.add_argument("to_email")
    actions.add_parser("bootstrap", help="create admin@localhost if there is no agent yet")
    privacy = commands.add_parser("privacy", help="an end user's data: export or erase")
    what = privacy.add_subparsers(dest="action", required=True)
    export = what.add_parser("export", help="everything stored about USER, as JSON")
    export.add_argument("user", help="a conversation id (telegram:123) or a platform user id")
    export.add_argument("--out", help="write to this file (default: standard output)")
    erase = what.add_parser("erase", help="delete everything about USER, Rasa's tracker too")
    erase.add_argument("user")
    erase.add_argument("--yes", action="store_true", help="really delete (asked otherwise)")
    args = parser.parse_args(argv)
    logs.install()

    engine = make_engine()
    migrate(engine)
    if args.command == "migrate":
        print("handoff: schema is up to date")
        return 0
    database = session_factory(engine)
    if args.command == "privacy":
        url = engine.url.render_as_string(hide_password=False)
        return _privacy(Privacy(database, Trackers(tracker_url(url))), args)
    try:
        if args.action in ("release", "reassign"):
            return _hand_over(database, args.email, getattr(args, "to_email", None))
        with database.begin() as db:
            if args.action == "create":
                role = "admin" if args.admin else (args.role or "agent")
                agent = create_agent(db, args.email, args.name, _password(), role)
                _route(db, agent, args)
                audit.record(
                    db, None, "agent.create", {"agent": agent.id, "role": role, "by": "cli"}
                )
                print(f"handoff: created agent {agent.email} (id {agent.id}, {role})")
            elif args.action == "role":
                agent = accounts.set_role(db, _by_email(db, args.email).id, args.role)
                audit.record(
                    db, None, "agent.role", {"agent": agent.id, "to": args.role, "by": "cli"}
                )
                print(f"handoff: {agent.email} is now {agent.role}")
            elif args.action == "link":
                agent = _by_email(db, args.email)
                token, row = accounts.new_link(db, agent.id, None)
                audit.record(db, None, "agent.link", {"agent": agent.id, "by": "cli"})
                print(f"handoff: /console/set-password.html#token={token} (until {row.expires_at})")
            elif args.action == "route":
                agent = _by_email(db, args.email)
                profile = _route(db, agent, args)
                print(
                    f"handoff: {agent.email} takes {','.join(profile.languages)}, "
                    f"at most {profile.max_chats} chats"
                )
            elif args.action == "bootstrap":
                bootstrap(db)
            elif args.action == "list":
                # As the desk sees them: online only while a console is connected.
                timeout = timedelta(seconds=DeskSettings().presence_timeout_seconds)
                since = utcnow() - timeout
                rows = list(db.execute(select(Agent).order_by(Agent.id)).scalars())
                team = routing.profiles(db, [a.id for a in rows])
                for agent in rows:
                    state = "active" if agent.active else "disabled"
                    shown = shown_presence(agent, since)
                    p = team[agent.id]
                    print(
                        f"{agent.id}\t{agent.email}\t{agent.display_name}\t{shown}\t{state}"
                        f"\t{','.join(p.languages)}\t{p.load}/{p.max_chats}"
                    )
            else:
                agent = accounts.set_active(db, _by_email(db, args.email).id, False)
                audit.record(db, None, "agent.disable", {"agent": agent.id, "by": "cli"})
                print(f"handoff: disabled {agent.email}")
    except (AgentError, NotFound, RoutingError, Conflict) as exc:
        print(f"handoff: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _privacy(privacy: Privacy, args: argparse.Namespace) -> int:
    if args.action == "export":
        text = json.dumps(privacy.export(args.user), ensure_ascii=False, indent=2)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            os.chmod(args.out, 0o600)  # an end user's data: not for every local account
            print(f"handoff: wrote {args.out}")
        else:
            print(text)
        return 0
    if not args.yes and input(f"Delete everything about {args.user}? [y/N] ").lower() != "y":
        print("handoff: nothing deleted")
        return 1
    gone = privacy.erase(args.user)
    print(f"handoff: erased {args.user}: " + json.dumps(gone, ensure_ascii=False))
    return 0


def _route(db: Session, agent: Agent, args: argparse.Namespace) -> routing.Profile:
    languages = args.languages.split(",") if args.languages is not None else None
    return routing.set_profile(db, agent.id, languages, args.max_chats)


def _by_email(db: Session, email: str) -> Agent:
    agent = db.execute(
        select(Agent).where(Agent.email == email.strip().lower())
    ).scalar_one_or_none()
    if agent is None:
        raise AgentError(f"no agent with email {email}")
    return agent


def _hand_over(database: sessionmaker[Session], email: str, to_email: str | None) -> int:
    with database() as db:
        agent_id = _by_email(db, email).id
        to_agent = _by_email(db, to_email).id if to_email else None
    moved = hand_over(database, agent_id, to_agent, by="the operator")
    where = f"to {to_email}" if to_email else "to the queue"
    print(f"handoff: moved {len(moved)} session(s) of {email} {where}: {moved}")
    return 0


def bootstrap(db: Session) -> None:
    """A first account, so a fresh install can be tried; its password is kept in var/."""
    keep = ROOT / "var" / "initial_agent_password"
    if db.execute(select(Agent.id).limit(1)).first() is not None:
        if keep.exists():
            print(f"handoff: agent admin@localhost, password in {keep}")
        return
    password = os.environ.get("AGENT_PASSWORD") or secrets.token_urlsafe(12)
    create_agent(db, "admin@localhost", "Admin", password, role="admin")
    keep.parent.mkdir(parents=True, exist_ok=True)
    keep.write_text(password + "\n")
    keep.chmod(0o600)
    print(f"handoff: created agent admin@localhost with password {password} (kept in {keep})")


if __name__ == "__main__":
    sys.exit(main())
