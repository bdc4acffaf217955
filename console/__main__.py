"""`python -m console`: serve the console, add users, set passwords, purge old data, forget a customer."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import timedelta

from console.core.security import hash_password
from desk.errors import DeskError
from desk.service import desk_store
from desk.store import ROLES
from kefu.cli import emit
from kefu.config import Settings, get_settings
from knowledge_base.errors import KnowledgeBaseError


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise ValueError("the passwords differ")
    return first


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    from kefu.retention import Retention, parse_age

    try:
        retention = Retention(settings)
        if args.command == "purge":
            age = parse_age(args.older_than) if args.older_than else timedelta(days=settings.retention_days)
            report = retention.purge(age, dry_run=args.dry_run)
            detail = {"older_than_days": round(age.total_seconds() / 86400, 2)}
        else:
            if not args.conversation and not args.value and not args.customer:
                raise ValueError("name the customer: --conversation ID, --customer SHOP_ID and/or "
                                 "--value PHONE_OR_EMAIL")
            report = retention.forget(args.conversation, args.value, dry_run=args.dry_run,
                                      customer_ids=args.customer)
            # never the values themselves
            detail = {"asked_for": len(args.conversation) + len(args.value) + len(args.customer)}
        if not args.dry_run:
            # Counts only: the audit log must not keep the ids (a WeChat openid is personal data too).
            desk_store(settings).audit("system", args.command, conversation_id=None,
                                       detail={**detail, "conversations": len(report.conversations),
                                               "removed": dict(report.counts)})
    except (DeskError, KnowledgeBaseError, ValueError) as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    emit(report.as_dict(), args.json, report.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="python -m console", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the console (127.0.0.1:8000 unless KEFU_CONSOLE_PORT says)")
    serve.add_argument("--port", type=int)
    user = commands.add_parser("create-user", help="add a console user (prompts for the password)")
    user.add_argument("username")
    user.add_argument("--role", choices=ROLES, default="agent")
    user.add_argument("--display-name", default="")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.add_argument("--json", action="store_true")
    reset = commands.add_parser("set-password", help="replace a user's password and sign them out everywhere")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    purge = commands.add_parser("purge", help="delete conversations idle longer than the retention period")
    purge.add_argument("--older-than", help="an age such as 180d, 12w or 36h (default: KEFU_RETENTION_DAYS days)")
    purge.add_argument("--dry-run", action="store_true", help="report what would go, remove nothing")
    purge.add_argument("--json", action="store_true")
    forget = commands.add_parser("forget", help="delete one customer's data on request, across channels")
    forget.add_argument("--conversation", action="append", default=[], metavar="ID",
                        help="a conversation (sender) id; repeat for each channel identity")
    forget.add_argument("--customer", action="append", default=[], metavar="SHOP_ID",
                        help="the shop's own customer id: every conversation it was verified or handed over in")
    forget.add_argument("--value", action="append", default=[], metavar="TEXT",
                        help="a phone number or e-mail address they gave: every conversation holding it goes too")
    forget.add_argument("--dry-run", action="store_true")
    forget.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command in ("purge", "forget"):
        return _remove(args, settings)

    if args.command == "serve":
        import uvicorn

        from console.main import create_app

        uvicorn.run(create_app(settings), host=settings.host, port=args.port or settings.console_port,
                    log_level=settings.log_level.lower(), timeout_graceful_shutdown=3)
        return 0
    try:
        password_hash = hash_password(_password(args.password_stdin))
        if args.command == "create-user":
            user_out = desk_store(settings).create_agent(
                args.username, display_name=args.display_name, role=args.role, password_hash=password_hash
            )
            emit(user_out, args.json, f"created {user_out['role']} {user_out['username']} ({user_out['display_name']})")
        else:
            desk_store(settings).set_password_hash(args.username, password_hash)
            print(f"password of {args.username} changed; their sessions are signed out")
    except (DeskError, ValueError) as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
