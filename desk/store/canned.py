"""Canned replies: agents insert them (filled for the conversation), admins create, edit and delete them."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desk import templates
from desk.db import CannedReply, Message
from desk.errors import ConflictError, InvalidInputError
from desk.store.base import StoreBase
from desk.store.records import _clean, _iso
from kefu.db import utcnow
from kefu.order_numbers import find_order_number

LANGUAGES = ("zh", "en")
MAX_TITLE = 128
MAX_SHORTCUT = 32
# What follows `/` in the reply box: letters, digits, - and _ (Chinese letters too), no spaces.
SHORTCUT = re.compile(r"^[\w-]{1,32}$")

def canned_dict(c: CannedReply) -> dict[str, Any]:
    """A canned reply as the API shows it (the template; `filled` is added for a conversation)."""
    return {"id": c.id, "language": c.language, "title": c.title, "shortcut": c.shortcut, "text": c.text,
            "updated_at": _iso(c.updated_at)}


def _checked(language: str, title: str, shortcut: str | None, text: str) -> tuple[str, str, str | None, str]:
    if language not in LANGUAGES:
        raise InvalidInputError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    title = _clean(title, "title")
    if len(title) > MAX_TITLE:
        raise InvalidInputError(f"the title has {len(title)} characters; the limit is {MAX_TITLE}")
    cut = (shortcut or "").strip().lstrip("/").lower() or None
    if cut is not None and not SHORTCUT.match(cut):
        raise InvalidInputError(f"the shortcut {shortcut!r} must be 1 to {MAX_SHORTCUT} letters, digits, - or _, "
                                "without spaces")
    return language, title, cut, templates.check(_clean(text, "reply"))


class CannedReplies(StoreBase):
    """Canned replies: agents insert them (filled for the conversation), admins create, edit and delete them."""

    def canned(self, language: str | None = None) -> list[dict[str, Any]]:
        """Canned replies, by language and then in the order they were added (migration 0003 adds the defaults)."""
        with self.session() as s:
            query = select(CannedReply).order_by(CannedReply.language, CannedReply.id)
            if language:
                query = query.where(CannedReply.language == language)
            return [canned_dict(c) for c in s.scalars(query).all()]

    def canned_reply(self, canned_id: int) -> dict[str, Any]:
        """One canned reply (NotFoundError if none has this id)."""
        with self.session() as s:
            c = self._get(s, CannedReply, canned_id, "canned reply")
            return canned_dict(c)

    def create_canned(self, language: str, title: str, text: str, shortcut: str | None = None) -> dict[str, Any]:
        """Add a canned reply (InvalidInputError for a bad template, ConflictError for a shortcut taken)."""
        language, title, cut, text = _checked(language, title, shortcut, text)
        try:
            with self.session() as s:
                c = CannedReply(language=language, title=title, shortcut=cut, text=text, updated_at=utcnow())
                s.add(c)
                s.flush()
                self._event(s, "canned", c.id)
                return canned_dict(c)
        except IntegrityError:
            raise ConflictError(f"the shortcut /{cut} is taken in {language}") from None

    def update_canned(self, canned_id: int, language: str, title: str, text: str,
                      shortcut: str | None = None) -> dict[str, Any]:
        """Change a canned reply (NotFoundError, InvalidInputError, ConflictError as for create)."""
        language, title, cut, text = _checked(language, title, shortcut, text)
        try:
            with self.session() as s:
                c = self._get(s, CannedReply, canned_id, "canned reply")
                c.language, c.title, c.shortcut, c.text, c.updated_at = language, title, cut, text, utcnow()
                s.flush()
                self._event(s, "canned", c.id)
                return canned_dict(c)
        except IntegrityError:
            raise ConflictError(f"the shortcut /{cut} is taken in {language}") from None

    def delete_canned(self, canned_id: int) -> None:
        """Remove a canned reply (NotFoundError if none has this id)."""
        with self.session() as s:
            c = self._get(s, CannedReply, canned_id, "canned reply")
            s.delete(c)
            s.flush()
            self._event(s, "canned", canned_id)

    def template_values(self, escalation_id: int, agent_name: str) -> dict[str, str | None]:
        """What the conversation knows for the template variables: the customer's name, their order, the agent."""
        with self.session() as s:
            e = self._load(s, escalation_id)
            summary = e.summary or {}
            texts = s.scalars(select(Message.text).where(Message.escalation_id == escalation_id,
                                                         Message.role == "customer")
                              .order_by(Message.id.desc())).all()
        order = next((n for n in (find_order_number(t) for t in texts) if n), None)
        name = summary.get("customer_name")
        return {"customer_name": name if isinstance(name, str) else None,
                "order_id": order or find_order_number(str(summary.get("order_number") or "")),
                "agent_name": agent_name}

    def canned_for(self, escalation_id: int, agent_name: str, language: str | None = None) -> list[dict[str, Any]]:
        """Canned replies with `filled`: each template as it would read in this conversation."""
        values = self.template_values(escalation_id, agent_name)
        return [{**c, "filled": templates.fill(c["text"], values, c["language"])} for c in self.canned(language)]
