"""Every read and write of the handoff desk; each write appends a desk event in the same transaction."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from desk.db import (
    ACTIVE,
    Agent,
    CannedReply,
    Escalation,
    Event,
    LoginSession,
    Message,
    Note,
    Rating,
    Ticket,
    session_factory,
)
from desk.errors import ConflictError, DeskUnavailableError, ForbiddenError, InvalidInputError, NotFoundError
from desk.queue import QueueRules, presence_cutoff, priority
from kefu.db import unavailable_as, utcnow

ROLES = ("agent", "ops", "admin")
MAX_TEXT = 4000
DEFAULT_CANNED = [
    ("zh", "问候", "您好，我是人工客服，很高兴为您服务。我已经看过您和机器人的对话，请问还有什么需要补充的吗？"),
    ("zh", "稍等", "好的，我帮您查一下，请稍等一两分钟。"),
    ("zh", "退款进度", "退款已提交，一般 1–3 个工作日原路退回，请留意银行或支付宝的到账通知。"),
    ("zh", "结束", "请问还有其他可以帮您的吗？如果没有，我先结束这次服务，祝您生活愉快！"),
    ("en", "Greeting", "Hi, I'm a member of the support team. I've read your chat with the bot. Is there anything "
                       "you'd like to add?"),
    ("en", "One moment", "Thanks, let me check that for you. It'll take a minute or two."),
    ("en", "Refund timing", "Your refund has been submitted and usually reaches the original payment method "
                            "within 1–3 business days."),
    ("en", "Closing", "Is there anything else I can help with? If not, I'll close this chat. Have a great day!"),
]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive datetimes; they were written as UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _clean(text: str, what: str) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInputError(f"the {what} is empty")
    if len(value) > MAX_TEXT:
        raise InvalidInputError(f"the {what} has {len(value)} characters; the limit is {MAX_TEXT}")
    return value


def hash_token(token: str) -> str:
    """SHA-256 of a session token: a leaked table does not reveal live cookies."""
    return hashlib.sha256(token.encode()).hexdigest()


def agent_dict(agent: Agent, online: bool | None = None) -> dict[str, Any]:
    """An agent as the API shows it (never the password hash)."""
    out: dict[str, Any] = {"id": agent.id, "username": agent.username, "display_name": agent.display_name,
                           "role": agent.role}
    if online is not None:
        out["online"] = online
    return out


def message_dict(m: Message) -> dict[str, Any]:
    """A desk message as the API shows it."""
    return {
        "id": m.id, "escalation_id": m.escalation_id, "role": m.role, "text": m.text, "sentiment": m.sentiment,
        "frustration": m.frustration, "agent_name": m.agent.display_name if m.agent else None,
        "created_at": _iso(m.created_at), "delivered": m.role != "agent" or m.delivered_at is not None,
    }


def note_dict(n: Note) -> dict[str, Any]:
    """An internal note as the API shows it."""
    return {"id": n.id, "escalation_id": n.escalation_id, "author": n.agent.display_name, "text": n.text,
            "created_at": _iso(n.created_at)}


def ticket_dict(t: Ticket) -> dict[str, Any]:
    """An offline ticket as the API shows it."""
    return {"id": t.id, "conversation_id": t.conversation_id, "channel": t.channel, "language": t.language,
            "message": t.message, "contact": t.contact, "status": t.status, "created_at": _iso(t.created_at)}


class DeskStore:
    """The desk's tables in the conversation database, shared by the action server and every console."""

    def __init__(self, url: str, rules: QueueRules | None = None, presence_ttl_s: float = 60.0) -> None:
        self.url = url
        self.rules = rules or QueueRules()
        self.presence_ttl_s = presence_ttl_s
        with unavailable_as(DeskUnavailableError, "the desk's database"):
            self._sessions = session_factory(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error; database failures raise DeskUnavailableError."""
        with unavailable_as(DeskUnavailableError, "the desk's database"), self._sessions() as session, \
                session.begin():
            yield session

    @staticmethod
    def _event(s: Session, kind: str, ref_id: int) -> None:
        s.add(Event(kind=kind, ref_id=ref_id))

    # -- escalations -------------------------------------------------------------------------------
    def escalation_dict(self, e: Escalation, now: datetime | None = None,
                        position: int | None = None) -> dict[str, Any]:
        """An escalation as the API shows it, with its priority as of now."""
        now = now or utcnow()
        return {
            "id": e.id, "conversation_id": e.conversation_id, "channel": e.channel, "language": e.language,
            "status": e.status, "tier": e.tier, "trigger": e.trigger, "reason": e.reason,
            "frustration": round(e.frustration, 3),
            "priority": priority(e.frustration, e.tier, e.trigger, _aware(e.created_at), now, self.rules),
            "created_at": _iso(e.created_at), "claimed_at": _iso(e.claimed_at), "resolved_at": _iso(e.resolved_at),
            "agent": {"id": e.agent.id, "display_name": e.agent.display_name} if e.agent else None,
            "position": position, "summary": e.summary or {},
        }

    def _load(self, s: Session, escalation_id: int) -> Escalation:
        e = s.get(Escalation, escalation_id, options=[selectinload(Escalation.agent)])
        if e is None:
            raise NotFoundError(f"no escalation {escalation_id}")
        return e

    def create_escalation(self, conversation_id: str, channel: str, language: str, tier: str, trigger: str,
                          reason: str, frustration: float, summary: dict[str, Any],
                          status: str = "waiting") -> tuple[dict[str, Any], bool]:
        """Open a hand-over; returns it and whether it is new (a retried trigger finds the active one).

        `offline` records a trigger no agent could take (no one online, outside hours); it never enters the queue.
        """
        try:
            with self.session() as s:
                e = Escalation(conversation_id=conversation_id, channel=channel, language=language, tier=tier,
                               trigger=trigger, reason=reason, frustration=frustration, summary=summary,
                               status=status)
                s.add(e)
                s.flush()
                self._event(s, "escalation", e.id)
                created_id = e.id
        except IntegrityError:
            active = self.active_for(conversation_id)
            if active is None:  # the other one ended in between: try once more
                return self.create_escalation(conversation_id, channel, language, tier, trigger, reason,
                                              frustration, summary, status)
            return active, False
        return self.get_escalation(created_id), True

    def get_escalation(self, escalation_id: int) -> dict[str, Any]:
        """One escalation with its queue position (when waiting)."""
        positions = self.positions()
        with self.session() as s:
            return self.escalation_dict(self._load(s, escalation_id), position=positions.get(escalation_id))

    def active_for(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's waiting or claimed escalation, if any."""
        with self.session() as s:
            e = s.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation_id,
                                                      Escalation.status.in_(ACTIVE)))
        return None if e is None else self.get_escalation(e)

    def last_for(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's most recent escalation, whatever its state."""
        with self.session() as s:
            e = s.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation_id)
                         .order_by(Escalation.id.desc()).limit(1))
        return None if e is None else self.get_escalation(e)

    def queue(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Active escalations: waiting ones by priority (highest first), then claimed ones by priority."""
        now = now or utcnow()
        with self.session() as s:
            rows = s.scalars(select(Escalation).where(Escalation.status.in_(ACTIVE))
                             .options(selectinload(Escalation.agent))).all()
            items = [self.escalation_dict(e, now) for e in rows]
        items.sort(key=lambda d: (d["status"] != "waiting", -d["priority"], d["id"]))
        for number, item in enumerate(i for i in items if i["status"] == "waiting"):
            item["position"] = number + 1
        return items

    def positions(self, now: datetime | None = None) -> dict[int, int]:
        """Queue position (1 = next) of every waiting escalation."""
        return {item["id"]: item["position"] for item in self.queue(now) if item["status"] == "waiting"}

    def set_told_position(self, escalation_id: int, position: int | None) -> None:
        """Remember the position the customer was last told."""
        with self.session() as s:
            s.execute(update(Escalation).where(Escalation.id == escalation_id).values(told_position=position))

    def told_position(self, escalation_id: int) -> int | None:
        """The position the customer was last told."""
        with self.session() as s:
            return s.scalar(select(Escalation.told_position).where(Escalation.id == escalation_id))

    def position_changes(self) -> list[tuple[dict[str, Any], int]]:
        """Waiting escalations whose position differs from what the customer was last told."""
        with self.session() as s:
            rows = s.execute(select(Escalation.id, Escalation.told_position).where(
                Escalation.status == "waiting", Escalation.told_position.is_not(None))).tuples().all()
        told = {escalation_id: int(position) for escalation_id, position in rows if position is not None}
        return [(item, told[item["id"]]) for item in self.queue()
                if item["status"] == "waiting" and item["id"] in told and told[item["id"]] != item["position"]]

    def claim(self, escalation_id: int, agent_id: int) -> dict[str, Any]:
        """Give a waiting escalation to this agent; one UPDATE ... WHERE status='waiting', so only one agent wins."""
        with self.session() as s:
            result = s.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.status == "waiting")
                .values(status="claimed", agent_id=agent_id, claimed_at=utcnow(), told_position=None)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                e = self._load(s, escalation_id)
                who = e.agent.display_name if e.agent else "nobody"
                raise ConflictError(f"escalation {escalation_id} is {e.status} (agent: {who}); it cannot be claimed")
            self._event(s, "escalation", escalation_id)
        return self.get_escalation(escalation_id)

    def _owned(self, s: Session, escalation_id: int, agent_id: int) -> Escalation:
        e = self._load(s, escalation_id)
        if e.status != "claimed":
            raise ConflictError(f"escalation {escalation_id} is {e.status}; claim it first")
        if e.agent_id != agent_id:
            who = e.agent.display_name if e.agent else "another agent"
            raise ForbiddenError(f"escalation {escalation_id} is claimed by {who}; ask them to transfer it")
        return e

    def transfer(self, escalation_id: int, agent_id: int, to_agent_id: int) -> dict[str, Any]:
        """Hand a claimed escalation from its agent to another active agent."""
        with self.session() as s:
            self._owned(s, escalation_id, agent_id)
            target = s.get(Agent, to_agent_id)
            if target is None or not target.active:
                raise NotFoundError(f"no active agent {to_agent_id}")
            s.execute(update(Escalation).where(Escalation.id == escalation_id).values(agent_id=to_agent_id))
            s.add(Message(escalation_id=escalation_id, role="system",
                          text=f"transferred to {target.display_name}"))
            self._event(s, "escalation", escalation_id)
        return self.get_escalation(escalation_id)

    def resolve(self, escalation_id: int, agent_id: int) -> dict[str, Any]:
        """End a claimed escalation; the bot takes the conversation back."""
        with self.session() as s:
            self._owned(s, escalation_id, agent_id)
            s.execute(update(Escalation).where(Escalation.id == escalation_id)
                      .values(status="resolved", resolved_at=utcnow()))
            self._event(s, "escalation", escalation_id)
        return self.get_escalation(escalation_id)

    def cancel(self, conversation_id: str) -> dict[str, Any] | None:
        """The customer gave up waiting (or went back to the bot): end the active escalation, if any."""
        with self.session() as s:
            e_id = s.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation_id,
                                                         Escalation.status.in_(ACTIVE)))
            if e_id is None:
                return None
            s.execute(update(Escalation).where(Escalation.id == e_id)
                      .values(status="cancelled", resolved_at=utcnow()))
            self._event(s, "escalation", e_id)
        return self.get_escalation(e_id)

    def avg_handle_seconds(self, last: int = 50) -> float:
        """Mean claim-to-resolve time of the last resolved escalations, or the configured default."""
        with self.session() as s:
            rows = s.execute(select(Escalation.claimed_at, Escalation.resolved_at)
                             .where(Escalation.status == "resolved", Escalation.claimed_at.is_not(None))
                             .order_by(Escalation.id.desc()).limit(last)).all()
        spans = [(_aware(r) - _aware(c)).total_seconds() for c, r in rows if c and r]
        return sum(spans) / len(spans) if spans else self.rules.default_handle_s

    # -- messages ----------------------------------------------------------------------------------
    def detail(self, escalation_id: int) -> dict[str, Any]:
        """An escalation with its messages and notes."""
        escalation = self.get_escalation(escalation_id)
        with self.session() as s:
            messages = s.scalars(select(Message).where(Message.escalation_id == escalation_id)
                                 .options(selectinload(Message.agent)).order_by(Message.id)).all()
            notes = s.scalars(select(Note).where(Note.escalation_id == escalation_id)
                              .options(selectinload(Note.agent)).order_by(Note.id)).all()
            return {"escalation": escalation, "messages": [message_dict(m) for m in messages],
                    "notes": [note_dict(n) for n in notes]}

    def add_customer_message(self, conversation_id: str, text: str, sentiment: dict[str, Any] | None,
                             frustration: float | None, source_id: str | None) -> dict[str, Any] | None:
        """Store a customer message of an active hand-over (once per source_id); None when none is active."""
        try:
            with self.session() as s:
                e_id = s.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation_id,
                                                             Escalation.status.in_(ACTIVE)))
                if e_id is None:
                    return None
                m = Message(escalation_id=e_id, role="customer", text=text[:MAX_TEXT], sentiment=sentiment,
                            frustration=frustration, source_id=source_id)
                s.add(m)
                s.flush()
                self._event(s, "message", m.id)
                return message_dict(m)
        except IntegrityError:  # relayed before (a retry or a backfill)
            with self.session() as s:
                old = s.scalar(select(Message).where(Message.source_id == source_id))
                return None if old is None else message_dict(old)

    def relayed_sources(self, conversation_id: str) -> set[str]:
        """Rasa message ids of the customer messages already stored for the conversation's active hand-over."""
        with self.session() as s:
            rows = s.scalars(select(Message.source_id).join(Escalation).where(
                Escalation.conversation_id == conversation_id, Escalation.status.in_(ACTIVE),
                Message.source_id.is_not(None))).all()
        return {str(r) for r in rows}

    def add_agent_message(self, escalation_id: int, agent_id: int, text: str) -> dict[str, Any]:
        """Store an agent's reply (undelivered until the bot has sent it); only the claiming agent may reply.

        The result also names the conversation (`conversation_id`), which the console needs to deliver it.
        """
        body = _clean(text, "reply")
        with self.session() as s:
            e = self._owned(s, escalation_id, agent_id)
            m = Message(escalation_id=escalation_id, role="agent", text=body, agent_id=agent_id)
            s.add(m)
            s.flush()
            self._event(s, "message", m.id)
            m.agent = e.agent
            return {**message_dict(m), "conversation_id": e.conversation_id}

    def agent_message(self, message_id: int) -> tuple[dict[str, Any], str]:
        """An agent message and its conversation id (for the bot that delivers it)."""
        with self.session() as s:
            m = s.get(Message, message_id, options=[selectinload(Message.agent)])
            if m is None or m.role != "agent":
                raise NotFoundError(f"no agent message {message_id}")
            e = self._load(s, m.escalation_id)
            return message_dict(m), e.conversation_id

    def mark_delivered(self, message_id: int) -> bool:
        """Mark an agent message sent; False when it was already (a retried delivery must not repeat it)."""
        with self.session() as s:
            result = s.execute(update(Message).where(Message.id == message_id, Message.delivered_at.is_(None))
                               .values(delivered_at=utcnow()))
            first = bool(result.rowcount == 1)  # type: ignore[attr-defined]
            if first:
                self._event(s, "message", message_id)
        return first

    def undelivered(self, older_than_s: float, max_attempts: int = 100) -> list[tuple[int, str]]:
        """Agent messages not yet sent after this many seconds: (message id, conversation id), oldest first."""
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        with self.session() as s:
            rows = s.execute(
                select(Message.id, Escalation.conversation_id).join(Escalation)
                .where(Message.role == "agent", Message.delivered_at.is_(None), Message.created_at < cutoff,
                       Message.attempts < max_attempts)
                .order_by(Message.id)
            ).all()
        return [(int(r[0]), str(r[1])) for r in rows]

    def count_attempt(self, message_id: int) -> None:
        """One more delivery attempt of an agent message."""
        with self.session() as s:
            s.execute(update(Message).where(Message.id == message_id).values(attempts=Message.attempts + 1))

    def add_note(self, escalation_id: int, agent_id: int, text: str) -> dict[str, Any]:
        """An internal note; any signed-in agent may add one."""
        body = _clean(text, "note")
        with self.session() as s:
            self._load(s, escalation_id)
            n = Note(escalation_id=escalation_id, agent_id=agent_id, text=body)
            s.add(n)
            s.flush()
            self._event(s, "note", n.id)
            s.refresh(n, ["agent"])
            return note_dict(n)

    # -- ratings and tickets -----------------------------------------------------------------------
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

    def add_rating_comment(self, conversation_id: str, comment: str) -> bool:
        """Attach a comment to the conversation's latest rating; False when there is none."""
        body = _clean(comment, "comment")
        with self.session() as s:
            rating = s.scalar(select(Rating).where(Rating.conversation_id == conversation_id)
                              .order_by(Rating.id.desc()).limit(1))
            if rating is None:
                return False
            rating.comment = body
        return True

    def ratings(self) -> list[dict[str, Any]]:
        """Every rating, newest first."""
        with self.session() as s:
            rows = s.scalars(select(Rating).order_by(Rating.id.desc())).all()
            return [{"id": r.id, "conversation_id": r.conversation_id, "escalation_id": r.escalation_id,
                     "agent_id": r.agent_id, "score": r.score, "comment": r.comment,
                     "created_at": _iso(r.created_at)} for r in rows]

    def create_ticket(self, conversation_id: str, channel: str, language: str, message: str,
                      contact: str) -> dict[str, Any]:
        """Store a message left for agents."""
        body = _clean(message, "message")
        with self.session() as s:
            t = Ticket(conversation_id=conversation_id, channel=channel, language=language, message=body,
                       contact=contact.strip()[:256])
            s.add(t)
            s.flush()
            self._event(s, "ticket", t.id)
            return ticket_dict(t)

    def tickets(self, status: str | None = None) -> list[dict[str, Any]]:
        """Offline tickets, open ones first, newest first."""
        with self.session() as s:
            query = select(Ticket).order_by(Ticket.status.desc(), Ticket.id.desc())
            if status:
                query = query.where(Ticket.status == status)
            return [ticket_dict(t) for t in s.scalars(query).all()]

    def close_ticket(self, ticket_id: int, agent_id: int) -> dict[str, Any]:
        """Mark a ticket handled."""
        with self.session() as s:
            t = s.get(Ticket, ticket_id)
            if t is None:
                raise NotFoundError(f"no ticket {ticket_id}")
            t.status, t.closed_at, t.closed_by = "closed", utcnow(), agent_id
            self._event(s, "ticket", t.id)
            return ticket_dict(t)

    # -- agents and sign-in ------------------------------------------------------------------------
    def create_agent(self, username: str, display_name: str, role: str, password_hash: str) -> dict[str, Any]:
        """Add a console user."""
        if role not in ROLES:
            raise InvalidInputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        name = username.strip()
        if not name or len(name) > 64:
            raise InvalidInputError("a username has 1 to 64 characters")
        try:
            with self.session() as s:
                agent = Agent(username=name, display_name=display_name.strip() or name, role=role,
                              password_hash=password_hash)
                s.add(agent)
                s.flush()
                return agent_dict(agent)
        except IntegrityError:
            raise ConflictError(f"user {name!r} exists already") from None

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """Replace a user's password hash and sign them out everywhere."""
        with self.session() as s:
            agent = s.scalar(select(Agent).where(Agent.username == username))
            if agent is None:
                raise NotFoundError(f"no user {username!r}")
            agent.password_hash = password_hash
            s.execute(delete(LoginSession).where(LoginSession.agent_id == agent.id))

    def credentials(self, username: str) -> tuple[int, str] | None:
        """(agent id, password hash) of an active user, or None."""
        with self.session() as s:
            row = s.execute(select(Agent.id, Agent.password_hash)
                            .where(Agent.username == username, Agent.active.is_(True))).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def agents(self) -> list[dict[str, Any]]:
        """Every active user, with whether they are online now."""
        cutoff = presence_cutoff(utcnow(), self.presence_ttl_s)
        with self.session() as s:
            rows = s.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.display_name)).all()
            return [agent_dict(a, online=a.status == "online" and a.last_seen_at is not None
                               and _aware(a.last_seen_at) > cutoff) for a in rows]

    def set_presence(self, agent_id: int, status: str) -> None:
        """An agent's heartbeat: online or away, seen now."""
        if status not in ("online", "away"):
            raise InvalidInputError("presence is online or away")
        with self.session() as s:
            s.execute(update(Agent).where(Agent.id == agent_id).values(status=status, last_seen_at=utcnow()))

    def agents_online(self) -> int:
        """Agents whose last heartbeat said online and is recent."""
        cutoff = presence_cutoff(utcnow(), self.presence_ttl_s)
        with self.session() as s:
            return int(s.scalar(select(func.count(Agent.id)).where(
                Agent.active.is_(True), Agent.status == "online", Agent.last_seen_at > cutoff)) or 0)

    def create_login(self, agent_id: int, hours: float) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.session() as s:
            s.add(LoginSession(token_hash=hash_token(token), agent_id=agent_id, csrf_token=csrf,
                               expires_at=utcnow() + timedelta(hours=hours)))
        return token, csrf

    def login_for(self, token: str) -> tuple[dict[str, Any], str] | None:
        """(agent, CSRF token) of a live session, or None."""
        with self.session() as s:
            login = s.get(LoginSession, hash_token(token), options=[selectinload(LoginSession.agent)])
            if login is None or _aware(login.expires_at) < utcnow() or not login.agent.active:
                return None
            return agent_dict(login.agent), login.csrf_token

    def end_login(self, token: str) -> None:
        """Sign a session out."""
        with self.session() as s:
            s.execute(delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))

    # -- canned replies and the event feed ---------------------------------------------------------
    def canned(self, language: str | None = None) -> list[dict[str, Any]]:
        """Canned replies (the defaults are added to an empty table)."""
        with self.session() as s:
            if not s.scalar(select(func.count(CannedReply.id))):
                s.add_all(CannedReply(language=lang, title=title, text=body) for lang, title, body in DEFAULT_CANNED)
                s.flush()
            query = select(CannedReply).order_by(CannedReply.id)
            if language:
                query = query.where(CannedReply.language == language)
            return [{"id": c.id, "language": c.language, "title": c.title, "text": c.text}
                    for c in s.scalars(query).all()]

    def last_event_id(self) -> int:
        """Id of the newest desk event (0 when none)."""
        with self.session() as s:
            return int(s.scalar(select(func.max(Event.id))) or 0)

    def events_after(self, last_id: int, limit: int = 200) -> list[tuple[int, str, dict[str, Any]]]:
        """Desk events after `last_id`, each with the current state of what it refers to."""
        with self.session() as s:
            events = s.execute(select(Event.id, Event.kind, Event.ref_id).where(Event.id > last_id)
                               .order_by(Event.id).limit(limit)).all()
        out: list[tuple[int, str, dict[str, Any]]] = []
        positions = self.positions() if any(kind == "escalation" for _, kind, _ in events) else {}
        with self.session() as s:
            for event_id, kind, ref in events:
                payload: dict[str, Any] | None = None
                if kind == "escalation":
                    e = s.get(Escalation, ref, options=[selectinload(Escalation.agent)])
                    payload = self.escalation_dict(e, position=positions.get(ref)) if e else None
                elif kind == "message":
                    m = s.get(Message, ref, options=[selectinload(Message.agent)])
                    payload = message_dict(m) if m else None
                elif kind == "note":
                    n = s.get(Note, ref, options=[selectinload(Note.agent)])
                    payload = note_dict(n) if n else None
                elif kind == "ticket":
                    t = s.get(Ticket, ref)
                    payload = ticket_dict(t) if t else None
                if payload:
                    out.append((int(event_id), str(kind), payload))
        return out
