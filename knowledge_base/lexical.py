"""Word overlap between a question and the candidate entries, to re-rank what the embedding search found.

The embedding puts the right entry in its first three 97% of the time but first only 83%: look-alike entries
("cancel before shipping" and "cancel after shipping") score within a few hundredths of each other. Those entries
differ in a word or two that the question usually repeats, which a TF-IDF match catches. Each entry is one
document per language (its variants joined); Chinese is split into characters and character pairs (no word
segmenter needed), Latin script into lower-cased words. scikit-learn's TfidfVectorizer does the weighting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def tokens(text: str) -> list[str]:
    """Lower-cased words for Latin script; characters and character pairs for Chinese runs."""
    out: list[str] = []
    for run in TOKEN.findall(text.lower()):
        if HAN.match(run):
            out += list(run) + [run[i : i + 2] for i in range(len(run) - 1)]
        else:
            out.append(run)
    return out


def text_lang(text: str, lang: str | None = None) -> str:
    """The language to match a question in: the one the channel detected, else zh when it has Chinese."""
    if lang in ("zh", "en"):
        return lang
    return "zh" if HAN.search(text) else "en"


class LexicalIndex:
    """TF-IDF vectors of every entry's joined variants, per language (idf over that language's variants)."""

    def __init__(self, entry_ids: Sequence[str], langs: Sequence[str], questions: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizers: dict[str, Any] = {}
        self._rows: dict[str, dict[str, int]] = {}
        self._matrices: dict[str, Any] = {}
        for lang in sorted(set(langs)):
            picked = [(e, q) for e, la, q in zip(entry_ids, langs, questions, strict=True) if la == lang]
            joined: dict[str, list[str]] = {}
            for entry_id, question in picked:
                joined.setdefault(entry_id, []).append(question)
            # sublinear tf: a word every variant repeats should not drown the rest of the entry.
            vectorizer = TfidfVectorizer(analyzer=tokens, sublinear_tf=True)
            try:
                vectorizer.fit([q for _, q in picked])
            except ValueError:  # no tokens at all in this language (emoji-only variants)
                continue
            self._vectorizers[lang] = vectorizer
            self._rows[lang] = {entry_id: row for row, entry_id in enumerate(joined)}
            self._matrices[lang] = vectorizer.transform([" ".join(qs) for qs in joined.values()])

    def scores(self, text: str, lang: str, entry_ids: Sequence[str]) -> list[float | None]:
        """Cosine of `text` to each entry in `lang`; None where the entry has no variant in that language."""
        vectorizer = self._vectorizers.get(lang)
        if vectorizer is None:
            return [None] * len(entry_ids)
        rows = [self._rows[lang].get(entry_id) for entry_id in entry_ids]
        # Rows are l2-normalised, so one sparse product gives every cosine at once.
        cosines = (self._matrices[lang] @ vectorizer.transform([text]).T).toarray()[:, 0]
        return [None if row is None else float(cosines[row]) for row in rows]


def fuse(similarities: Sequence[float], overlaps: Sequence[float | None], weight: float) -> list[float]:
    """(similarity + weight × overlap) / (1 + weight) for each candidate.

    An entry written only in another language cannot share words with the question; it gets the best overlap
    among the others, so a cross-lingual match is ranked by its similarity and not pushed down for its language.
    """
    known = [o for o in overlaps if o is not None]
    fill = max(known) if known else 0.0
    pairs = zip(similarities, overlaps, strict=True)
    return [(s + weight * (fill if o is None else o)) / (1 + weight) for s, o in pairs]
