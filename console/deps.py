"""Dependencies of the console's routes: settings, the desk store, the signed-in agent, and the CSRF check."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from console.core.knowledge import Curator
from console.core.rasa import RasaClient
from console.core.security import CSRF_HEADER, SESSION_COOKIE
from desk.store import DeskStore
from kefu.config import Settings
from kefu.orders import OrderClient
from kefu.tracker_events import TrackerEvents

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
DECIDERS = {"supervisor", "admin"}  # who approves compensation above an agent's limit
DESK_ROLES = {"agent", "supervisor", "admin"}
OPS_ROLES = {"ops", "admin"}


def get_settings_dep(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> DeskStore:
    """The app's desk store."""
    store: DeskStore = request.app.state.store
    return store


def get_rasa(request: Request) -> RasaClient:
    """The app's Rasa client."""
    rasa: RasaClient = request.app.state.rasa
    return rasa


def get_orders(request: Request) -> OrderClient:
    """The app's order client (lookups, and issuing compensation)."""
    orders: OrderClient = request.app.state.orders
    return orders


def get_tracker_events(request: Request) -> TrackerEvents:
    """Reads of Rasa's stored conversations, made on first use (the console starts before Rasa's table exists)."""
    events: TrackerEvents | None = getattr(request.app.state, "tracker_events", None)
    if events is None:
        events = request.app.state.tracker_events = TrackerEvents(request.app.state.settings.tracker_url)
    return events


StoreDep = Annotated[DeskStore, Depends(get_store)]
TrackerDep = Annotated[TrackerEvents, Depends(get_tracker_events)]
OrdersDep = Annotated[OrderClient, Depends(get_orders)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
RasaDep = Annotated[RasaClient, Depends(get_rasa)]


def current_login(request: Request, store: StoreDep) -> tuple[dict[str, Any], str]:
    """(agent, CSRF token) of the session cookie; 401 without one. Unsafe methods must echo the CSRF token."""
    token = request.cookies.get(SESSION_COOKIE)
    login = store.login_for(token) if token else None
    if login is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first")
    agent, csrf = login
    if request.method in UNSAFE and not secrets.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {CSRF_HEADER} header")
    return agent, csrf


LoginDep = Annotated[tuple[dict[str, Any], str], Depends(current_login)]


def current_agent(login: LoginDep) -> dict[str, Any]:
    """The signed-in user, who must be an agent, a supervisor or an admin to use the desk."""
    agent = login[0]
    if agent["role"] not in DESK_ROLES:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the agent desk is for agents, supervisors and admins")
    return agent


AgentDep = Annotated[dict[str, Any], Depends(current_agent)]


def current_revealer(agent: AgentDep, settings: SettingsDep) -> dict[str, Any]:
    """The signed-in desk user, whose role must be one that may reveal masked personal data."""
    if agent["role"] not in settings.reveal_roles():
        allowed = ", ".join(sorted(settings.reveal_roles())) or "no role"
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"only {allowed} may reveal personal data")
    return agent


RevealerDep = Annotated[dict[str, Any], Depends(current_revealer)]


def current_ops(login: LoginDep) -> dict[str, Any]:
    """The signed-in user, who must be ops staff or an admin to curate the knowledge base and read the dashboard."""
    user = login[0]
    if user["role"] not in OPS_ROLES:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the ops console is for ops staff and admins")
    return user


OpsDep = Annotated[dict[str, Any], Depends(current_ops)]


def current_decider(agent: AgentDep) -> dict[str, Any]:
    """The signed-in desk user, who must be a supervisor or an admin to decide on compensation requests."""
    if agent["role"] not in DECIDERS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a supervisor or an admin approves compensation")
    return agent


DeciderDep = Annotated[dict[str, Any], Depends(current_decider)]


def current_admin(login: LoginDep) -> dict[str, Any]:
    """The signed-in user, who must be an admin (agents' capacity, settings of the desk)."""
    user = login[0]
    if user["role"] != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an admin may change this")
    return user


AdminDep = Annotated[dict[str, Any], Depends(current_admin)]


def get_curator(request: Request) -> Curator:
    """The app's knowledge-base curator."""
    curator: Curator = request.app.state.curator
    return curator


CuratorDep = Annotated[Curator, Depends(get_curator)]
