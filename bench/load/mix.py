"""What simulated customers say: FAQ questions from the routing dev sets (both languages), chit-chat and order
lookups, in the proportions a shop sees in a busy hour."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
DEV_SETS = ("routing_dev_a.jsonl", "routing_dev_b.jsonl")
CHIT_CHAT = ["你好", "hello", "谢谢", "thanks!", "在吗", "hi there", "好的", "ok thanks", "拜拜", "bye"]
ORDER_ASKS = ["帮我查一下订单", "where is my order", "我的快递到哪了", "track my package"]
ORDER_NUMBERS = ["KF20231123018", "2023112300012345", "KF20231120007", "1234567890", "KF20231101999"]
# Shares of each kind of turn in the mix (the order lookup is two messages: the ask, then the number).
WEIGHTS = {"faq": 6, "chit_chat": 3, "order": 1}
# Turns in one conversation before the customer leaves (a Locust customer then comes back as a new one): a busy
# hour is many short conversations, and a random draw kept up for hundreds of turns repeats itself and reads as
# frustration, which hands the customer to a person (and a quiet bot).
CONVERSATION_TURNS = (3, 8)


def faq_questions() -> list[tuple[str, str]]:
    """(question, language) for every answerable question of the routing dev sets."""
    out: list[tuple[str, str]] = []
    for name in DEV_SETS:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("expected"):
                out.append((str(row["query"]), str(row["lang"])))
    return out


@dataclass
class Mix:
    """Draws turns (one or more messages a customer sends back to back) from the mix with its own random source."""

    seed: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.faq = faq_questions()

    def turn(self) -> tuple[str, list[str]]:
        """A kind of turn and its messages."""
        kind = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if kind == "faq":
            return kind, [self.rng.choice(self.faq)[0]]
        if kind == "chit_chat":
            return kind, [self.rng.choice(CHIT_CHAT)]
        return kind, [self.rng.choice(ORDER_ASKS), self.rng.choice(ORDER_NUMBERS)]

    def conversation_turns(self) -> int:
        """How many turns the next conversation lasts."""
        return self.rng.randint(*CONVERSATION_TURNS)

    def messages(self, n: int) -> list[str]:
        """The first n messages of a customer's stream of turns."""
        out: list[str] = []
        while len(out) < n:
            out += self.turn()[1]
        return out[:n]
