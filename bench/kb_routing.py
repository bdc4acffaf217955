"""How many FAQ questions Rasa's NLU sends to the knowledge base (intent ask_question).

The KB figures (bench/kb_eval.py) assume a question reaches the KB; this measures that it does. Parses every
dev-set question with the trained Rasa model (in the Rasa venv) and counts the predicted intents, for the
answerable questions and for those the KB cannot answer (which may fairly go to out_of_scope too).

Usage: .venv/bin/python -m bench.kb_routing [--model models/rasa/kefu.tar.gz]
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.common import table, write_result
from kefu.config import get_settings

ROOT = Path(__file__).resolve().parent.parent

PARSE = """
import asyncio, json, sys
from rasa.core.agent import load_agent

async def main():
    agent = await load_agent(sys.argv[1])
    for line in sys.stdin:
        parsed = await agent.parse_message(line.rstrip("\\n"))
        print(json.dumps(parsed["intent"]["name"]), flush=True)

asyncio.run(main())
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/rasa/kefu.tar.gz")
    args = parser.parse_args()
    rows = [json.loads(line) for path in sorted(glob.glob(str(ROOT / "bench/data/kb_dev_*.jsonl")))
            for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    done = subprocess.run(
        [str(ROOT / ".venv-rasa/bin/python"), "-c", PARSE, args.model],
        input="".join(" ".join(r["query"].split()) + "\n" for r in rows),
        capture_output=True, text=True, cwd=ROOT, env=get_settings().rasa_env(), check=True,
    )
    intents = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('"')]
    counts: dict[str, Counter[str]] = {"answerable": Counter(), "unanswerable": Counter()}
    missed = []
    for row, intent in zip(rows, intents, strict=True):
        kind = "answerable" if row.get("expected") else "unanswerable"
        counts[kind][intent] += 1
        if kind == "answerable" and intent != "ask_question":
            missed.append((row["query"], intent))
    result = {kind: {"n": sum(c.values()), "to_kb": round(c["ask_question"] / sum(c.values()), 4),
                     "intents": dict(c.most_common())} for kind, c in counts.items()}
    path = write_result("kb_routing", result)
    print("Dev-set questions routed to the knowledge base by Rasa NLU (intent ask_question)")
    print(table([(kind, f"{v['to_kb']:.1%} of {v['n']}  {v['intents']}") for kind, v in result.items()]))
    for query, intent in missed[:15]:
        print(f"  ✗ {query!r} → {intent}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
