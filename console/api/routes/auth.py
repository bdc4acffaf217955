"""Sign in and out; who am I."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from console.api.models import LoginOut, errors
from console.core.security import SESSION_COOKIE, LoginThrottle, verify_password
from console.deps import LoginDep, SettingsDep, StoreDep

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(BaseModel):
    """Credentials."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


@router.post("/login", response_model=LoginOut, responses=errors(401, 429))
def create_login(body: LoginIn, request: Request, response: Response, store: StoreDep,
                 settings: SettingsDep) -> dict[str, Any]:
    """Check the password and set the session cookie (HttpOnly, SameSite=Strict); 429 after repeated failures."""
    # 5 failures per username, 30 per client address (a whole office may share one), in 5 minutes.
    throttles: list[tuple[LoginThrottle, str]] = [
        (request.app.state.user_throttle, body.username.lower()),
        (request.app.state.address_throttle, request.client.host if request.client else "-"),
    ]
    now = time.monotonic()
    wait = max(throttle.retry_after(key, now) for throttle, key in throttles)
    if wait > 0:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, f"too many failed sign-ins; try again in {wait:.0f} s",
                            headers={"Retry-After": str(int(wait) + 1)})
    found = store.credentials(body.username)
    if not verify_password(found[1] if found else None, body.password) or found is None:
        for throttle, key in throttles:
            throttle.failed(key, now)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    throttles[0][0].succeeded(throttles[0][1])
    token, csrf = store.create_login(found[0], settings.console_session_hours)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(settings.console_session_hours * 3600), httponly=True,
                        samesite="strict", secure=settings.console_cookie_secure, path="/")
    login = store.login_for(token)
    assert login is not None
    return {"user": login[0], "csrf_token": csrf}


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403))
def delete_login(request: Request, response: Response, login: LoginDep, store: StoreDep) -> None:
    """End the session and clear the cookie."""
    store.end_login(request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=LoginOut, responses=errors(401))
def read_me(login: LoginDep, settings: SettingsDep) -> dict[str, Any]:
    """The signed-in user, the CSRF token their page must send, and whether they may reveal personal data."""
    return {"user": login[0], "csrf_token": login[1], "may_reveal": login[0]["role"] in settings.reveal_roles()}
