"""Debian's chromium, launched as the project's browser tests and benchmarks must launch it."""

from __future__ import annotations

import shutil

# No sandbox as root, no GPU, no calls home: this machine's network is closed.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
