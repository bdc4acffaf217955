"""Console users, their presence, and their sign-in sessions."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from desk.db import Agent, LoginSession
from desk.errors import ConflictError, InvalidInputError, NotFoundError
from desk.queue import presence_cutoff
from desk.store.base import StoreBase
from desk.store.records import ROLES, _aware, agent_dict, hash_token
from kefu.db import utcnow

# What an agent can say of themselves; online and busy agents are there, only online ones take new conversations.
STATUSES = ("online", "busy", "away")
PRESENT = ("online", "busy")
MAX_CAPACITY = 50


class AgentRecords(StoreBase):
    """Console users, their presence, and their sign-in sessions."""

    def create_agent(self, username: str, *, display_name: str, role: str, password_hash: str) -> dict[str, Any]:
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
        """Every active user: whether they are online now, their status (offline once the heartbeat is stale), the
        conversations they hold and their capacity."""
        cutoff = presence_cutoff(utcnow(), self.presence_ttl_s)
        with self.session() as s:
            rows = s.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.display_name)).all()
            load = self._loads(s)
            out = []
            for a in rows:
                fresh = a.last_seen_at is not None and _aware(a.last_seen_at) > cutoff
                item = agent_dict(a, online=fresh and a.status in PRESENT)
                item.update(status=a.status if fresh else "offline", capacity=a.capacity, load=load.get(a.id, 0))
                out.append(item)
            return out

    def set_presence(self, agent_id: int, status: str) -> None:
        """An agent's heartbeat: online, busy or away, seen now."""
        if status not in STATUSES:
            raise InvalidInputError(f"presence is one of {', '.join(STATUSES)}")
        with self.session() as s:
            s.execute(update(Agent).where(Agent.id == agent_id).values(status=status, last_seen_at=utcnow()))

    def set_capacity(self, agent_id: int, capacity: int) -> dict[str, Any]:
        """How many conversations auto-assignment may give this user at once (0: none)."""
        if not 0 <= capacity <= MAX_CAPACITY:
            raise InvalidInputError(f"capacity is 0 to {MAX_CAPACITY}, not {capacity}")
        with self.session() as s:
            agent = s.get(Agent, agent_id)
            if agent is None or not agent.active:
                raise NotFoundError(f"no active user {agent_id}")
            agent.capacity = capacity
        return next(a for a in self.agents() if a["id"] == agent_id)

    def agents_online(self) -> int:
        """Agents whose last heartbeat said online or busy and is recent (someone is there to serve the queue)."""
        cutoff = presence_cutoff(utcnow(), self.presence_ttl_s)
        with self.session() as s:
            return int(s.scalar(select(func.count(Agent.id)).where(
                Agent.active.is_(True), Agent.status.in_(PRESENT), Agent.last_seen_at > cutoff)) or 0)

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
