"""Ratings: the customer's 1-5 score of a hand-over, their 0-10 recommendation (NPS) and an optional comment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from desk.db import Escalation, Rating
from desk.errors import InvalidInputError
from desk.store.base import StoreBase
from desk.store.records import _clean, _iso


class RatingRecords(StoreBase):
    """Ratings: the customer's 1-5 score of a hand-over and an optional comment."""

    def record_rating(self, conversation_id: str, score: int) -> dict[str, Any]:
        """Store a 1–5 rating for the conversation's last resolved escalation (again: the new score wins)."""
        if not 1 <= score <= 5:
            raise InvalidInputError(f"a rating is 1 to 5, not {score}")
        with self.session() as s:
            e = s.scalar(select(Escalation).where(Escalation.conversation_id == conversation_id,
                                                  Escalation.status == "resolved")
                         .order_by(Escalation.id.desc()).limit(1))
            rating = None if e is None else s.scalar(select(Rating).where(Rating.escalation_id == e.id))
            if rating is None:
                rating = Rating(conversation_id=conversation_id, escalation_id=e.id if e else None,
                                agent_id=e.agent_id if e else None, score=score)
                s.add(rating)
            else:
                rating.score = score
            s.flush()
            return {"id": rating.id, "conversation_id": conversation_id, "escalation_id": rating.escalation_id,
                    "agent_id": rating.agent_id, "score": rating.score, "comment": rating.comment}

    def record_nps(self, conversation_id: str, score: int) -> bool:
        """Attach the 0-10 "would you recommend us" answer to the conversation's latest rating; False without one."""
        if not 0 <= score <= 10:
            raise InvalidInputError(f"a recommendation score is 0 to 10, not {score}")
        return self._on_latest_rating(conversation_id, nps=score)

    def add_rating_comment(self, conversation_id: str, comment: str) -> bool:
        """Attach a comment to the conversation's latest rating; False when there is none."""
        return self._on_latest_rating(conversation_id, comment=_clean(comment, "comment"))

    def _on_latest_rating(self, conversation_id: str, **values: Any) -> bool:
        """Set these columns of the conversation's latest rating; False when it has none."""
        with self.session() as s:
            rating = s.scalar(select(Rating).where(Rating.conversation_id == conversation_id)
                              .order_by(Rating.id.desc()).limit(1))
            if rating is None:
                return False
            for name, value in values.items():
                setattr(rating, name, value)
        return True

    def ratings(self) -> list[dict[str, Any]]:
        """Every rating, newest first."""
        with self.session() as s:
            rows = s.scalars(select(Rating).order_by(Rating.id.desc())).all()
            return [{"id": r.id, "conversation_id": r.conversation_id, "escalation_id": r.escalation_id,
                     "agent_id": r.agent_id, "score": r.score, "nps": r.nps, "comment": r.comment,
                     "created_at": _iso(r.created_at)} for r in rows]
