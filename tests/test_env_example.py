""".env.example documents every variable: each setting and each ${VAR} that Rasa's YAML reads."""

import re
from pathlib import Path

from kefu.config import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
# A variable counts as documented when it is assigned, commented out or not: "NAME=" or "# NAME=".
DOCUMENTED = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", EXAMPLE, flags=re.M))


def test_every_setting_is_documented() -> None:
    missing = [variable for variable in Settings.env_names().values() if variable not in DOCUMENTED]
    assert missing == []


def test_every_variable_in_rasa_yaml_is_documented() -> None:
    used = {var for path in ("endpoints.yml", "credentials.yml", "config.yml")
            for var in re.findall(r"\$\{([A-Z0-9_]+)\}", (ROOT / path).read_text(encoding="utf-8"))}
    assert used, "the Rasa YAML reads no variables: the pattern is wrong"
    assert sorted(used - DOCUMENTED) == []
