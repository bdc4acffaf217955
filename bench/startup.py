"""Time from `make run` to the first answer (with a trained model), and `rasa train` time (with --train).

Usage: .venv/bin/python -m bench.startup [--train]
`--train` retrains from scratch (`rasa train --force`) and times it first.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import free_port, table, write_result

ROOT = Path(__file__).resolve().parent.parent


def time_training() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kefu", "rasa", "train", "--force", "--config", "config.yml", "--domain", "bot/domain",
         "--data", "training_data", "--out", "models/rasa", "--fixed-model-name", "kefu"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def time_make_run() -> tuple[float, float]:
    """Seconds to the first REST answer, and seconds for Ctrl-C to stop everything."""
    port = free_port()
    env = {**os.environ, "KEFU_RASA_PORT": str(port), "KEFU_ACTION_PORT": str(free_port()),
           "KEFU_DATA_DIR": tempfile.mkdtemp()}
    started = time.perf_counter()
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"make run exited with {proc.returncode}")
            try:
                replies = httpx.post(url, json={"sender": "bench", "message": "你好"}, timeout=5).json()
                if replies:
                    break
            except (httpx.HTTPError, ValueError):
                time.sleep(0.5)
        first_answer = time.perf_counter() - started
    finally:
        stop_started = time.perf_counter()
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(60)
    return first_answer, time.perf_counter() - stop_started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", action="store_true")
    args = parser.parse_args()
    result: dict[str, float] = {}
    if args.train:
        result["rasa_train_s"] = round(time_training(), 1)
    first, stop = time_make_run()
    result["make_run_to_first_answer_s"] = round(first, 1)
    result["ctrl_c_to_stopped_s"] = round(stop, 1)
    path = write_result("startup", result)
    print("Start-up")
    print(table([(k, v) for k, v in result.items()]))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
