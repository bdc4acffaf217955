"""`python -m console`: serve the console, add users, set passwords."""

from __future__ import annotations

import argparse
import getpass
import sys

from console.core.security import hash_password
from desk.errors import DeskError
from desk.service import desk_store
from desk.store import ROLES
from kefu.cli import emit
from kefu.config import get_settings


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise ValueError("the passwords differ")
    return first


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
    args = parser.parse_args(argv)
    settings = get_settings()

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
