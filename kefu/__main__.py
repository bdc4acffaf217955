"""`python -m kefu serve|cluster|rasa|env`: run the assistant (on one machine's defaults, or as a cluster of
replicas), run Rasa's CLI with Kefu's environment, show settings."""

from __future__ import annotations

import argparse
import json
import os
import sys

from kefu.config import get_settings
from kefu.serve import serve


def main(argv: list[str] | None = None) -> int:
    """Entry point of the kefu command."""
    parser = argparse.ArgumentParser(prog="python -m kefu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="start the Rasa server and the action server; Ctrl-C stops both")
    sub.add_parser("cluster", help="PostgreSQL, Redis, HAProxy and replicas of every server (make run-cluster)")
    rasa = sub.add_parser("rasa", help="run Rasa's CLI in .venv-rasa with Kefu's environment")
    rasa.add_argument("args", nargs=argparse.REMAINDER)
    env = sub.add_parser("env", help="print the resolved settings")
    env.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    settings = get_settings()

    if args.command == "serve":
        return serve(settings)
    if args.command == "cluster":
        from kefu.cluster import serve_cluster

        return serve_cluster(settings)
    if args.command == "rasa":
        rasa_bin = str(settings.path(settings.rasa_venv) / "bin" / "rasa")
        os.execve(rasa_bin, [rasa_bin, *args.args], settings.rasa_env())
    values = {
        "rasa_url": settings.rasa_url,
        "action_url": settings.action_url,
        "tracker_url": settings.tracker_url,
        "data_dir": str(settings.data_path),
        "rasa_model": str(settings.path(settings.rasa_model)),
        "max_message_chars": settings.max_message_chars,
    }
    if args.json:
        print(json.dumps(values, indent=2))
    else:
        for key, value in values.items():
            print(f"{key:18} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
