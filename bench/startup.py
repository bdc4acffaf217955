"""Time from `make run` to the first answer; with --fresh, as a newcomer gets it: on a fresh clone, twice.

Usage:
  .venv/bin/python -m bench.startup [--train]      this checkout (built): make run to first answer, Ctrl-C to stopped
                                                   (on its own data/; --empty-data starts on an empty data folder)
  .venv/bin/python -m bench.startup --fresh        a fresh clone of HEAD with ../shared beside it: the first make run
                                                   (installs, trains, builds) and a second one, to the first answer
  .venv/bin/python -m bench.startup --fresh --test a fresh clone: the first make test, then a second one
`--train` retrains from scratch (`rasa train --force`) and times it first. A fresh clone starts with no venvs, models,
Rasa cache or data; only the machine's package caches (pip's, uv's) are kept, as a newcomer's machine would have
them after any earlier install. The console output of each run is kept next to the result (lines printed, and
whether the ready banner came last), with the step times from the clone's data/logs/make/steps.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import free_port, table, write_result

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "退货运费谁出"


def time_training() -> float:
    """Seconds for `rasa train --force` in this checkout."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kefu", "rasa", "train", "--force", "--config", "config.yml", "--domain", "bot/domain",
         "--data", "training_data", "--out", "models/rasa", "--fixed-model-name", "kefu"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def ports_env(data_dir: str | None = None) -> dict[str, str]:
    """Free loopback ports (and optionally a data folder) for one run."""
    env = {**os.environ, "KEFU_RASA_PORT": str(free_port()), "KEFU_ACTION_PORT": str(free_port()),
           "KEFU_CONSOLE_PORT": str(free_port())}
    env.pop("MAKEFLAGS", None)
    env.pop("VIRTUAL_ENV", None)
    if data_dir:
        env["KEFU_DATA_DIR"] = data_dir
    return env


def time_make_run(cwd: Path, env: dict[str, str], transcript: Path | None = None) -> dict[str, Any]:
    """Seconds to the first REST answer to a KB question, and for Ctrl-C to stop everything."""
    started = time.perf_counter()
    out = transcript.open("wb") if transcript else subprocess.DEVNULL
    proc = subprocess.Popen(["make", "run"], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{env['KEFU_RASA_PORT']}/webhooks/rest/webhook"
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"make run exited with {proc.returncode} (see {transcript})")
            # A new conversation per try: the same question again in one conversation reads as frustration, and
            # tries that Rasa takes before the action server is up would turn the first answer into an apology.
            sender = f"bench-{time.time_ns()}"
            try:
                replies = httpx.post(url, json={"sender": sender, "message": QUESTION}, timeout=10).json()
                if replies:
                    break
            except (httpx.HTTPError, ValueError):
                time.sleep(0.5)
        first_answer = time.perf_counter() - started
        time.sleep(3)  # anything printed after the banner would show up in the transcript now
    finally:
        stop_started = time.perf_counter()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(90)
        if transcript:
            out.close()  # type: ignore[union-attr]
    result: dict[str, Any] = {"to_first_answer_s": round(first_answer, 1),
                              "ctrl_c_to_stopped_s": round(time.perf_counter() - stop_started, 1),
                              "answer": replies[0].get("text", "")[:60]}
    if transcript:
        result.update(console(transcript))
    return result


def console(transcript: Path) -> dict[str, Any]:
    """What the run printed: how many lines, and whether the banner was the last thing before Ctrl-C."""
    text = transcript.read_text(encoding="utf-8", errors="replace")
    before_stop = text.split("kefu: stopping")[0].rstrip().splitlines()
    return {"console_lines": len(before_stop),
            "banner_last": bool(before_stop) and before_stop[-1].strip() == "Press Ctrl-C to stop."}


def time_make_test(cwd: Path, env: dict[str, str], transcript: Path) -> dict[str, Any]:
    """Seconds for `make test`, and whether it passed."""
    started = time.perf_counter()
    with transcript.open("wb") as out:
        code = subprocess.run(["make", "test"], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL).returncode
    return {"seconds": round(time.perf_counter() - started, 1), "passed": code == 0, "exit": code}


def fresh_clone() -> Path:
    """A clone of HEAD in a new folder, with ../shared beside it as CI has it."""
    parent = Path(tempfile.mkdtemp(prefix="kefu-fresh-"))
    subprocess.run(["git", "clone", "-q", str(ROOT), str(parent / "kefu")], check=True)
    shared = (ROOT.parent / "shared").resolve()
    if shared.exists():
        (parent / "shared").symlink_to(shared)
    return parent / "kefu"


def step_times(clone: Path) -> dict[str, float]:
    """The build steps' times from the clone's step log (the last run of each)."""
    path = clone / "data" / "logs" / "make" / "steps.jsonl"
    times: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            times[row["step"]] = row["seconds"]
    return times


def heartbeat(label: str, stop: threading.Event) -> None:
    """A line a minute, so a long benchmark is visibly alive."""
    started = time.monotonic()
    while not stop.wait(60):
        print(f"  {label}: {time.monotonic() - started:.0f} s", flush=True)


def fresh(test: bool, keep: bool) -> dict[str, Any]:
    """Both runs on one fresh clone."""
    clone = fresh_clone()
    logs = Path(tempfile.mkdtemp(prefix="kefu-startup-logs-"))
    result: dict[str, Any] = {"clone": str(clone), "transcripts": str(logs), "machine": machine()}
    env = ports_env()
    for run in ("first", "second"):
        stop = threading.Event()
        threading.Thread(target=heartbeat, args=(f"{run} make {'test' if test else 'run'}", stop), daemon=True).start()
        try:
            if test:
                result[f"{run}_make_test"] = time_make_test(clone, env, logs / f"{run}-make-test.txt")
            else:
                result[f"{run}_make_run"] = time_make_run(clone, env, logs / f"{run}-make-run.txt")
        finally:
            stop.set()
        result[f"{run}_steps_s"] = step_times(clone)
        (clone / "data" / "logs" / "make" / "steps.jsonl").unlink(missing_ok=True)
    if not keep:
        shutil.rmtree(clone.parent, ignore_errors=True)
        result["clone"] += " (removed)"
    return result


def machine() -> str:
    """Cores and memory, in words."""
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    return f"{os.cpu_count()} cores, {int(mem) / 1024 / 1024:.0f} GiB, {os.uname().machine}"


def main() -> int:
    """Run the chosen measurement and write bench/results/startup*.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", action="store_true", help="time rasa train --force in this checkout first")
    parser.add_argument("--fresh", action="store_true", help="measure on a fresh clone of HEAD")
    parser.add_argument("--test", action="store_true", help="with --fresh: time make test instead of make run")
    parser.add_argument("--keep", action="store_true", help="keep the fresh clone")
    parser.add_argument("--empty-data", action="store_true",
                        help="without --fresh: start on an empty data folder (KB import and index build included)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    if args.fresh:
        result = fresh(args.test, args.keep)
    else:
        if args.train:
            result["rasa_train_s"] = round(time_training(), 1)
        # By default the checkout's own data/, as a second `make run` finds it; --empty-data as after `rm -r data`.
        result["make_run"] = time_make_run(ROOT, ports_env(tempfile.mkdtemp() if args.empty_data else None))
    name = "startup" + ("_fresh" if args.fresh else "") + ("_test" if args.test else "")
    path = write_result(name, result)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print("Start-up" + (" on a fresh clone" if args.fresh else ""))
    rows: list[tuple[str, object]] = []
    for key, value in result.items():
        if isinstance(value, dict):
            rows += [(f"{key}.{k}", v) for k, v in value.items()]
        else:
            rows.append((key, value))
    print(table(rows))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
