"""Authentication: ``Authorization: Bearer TOKEN`` on every ``/v1`` path.

Missing, malformed and revoked tokens get 401 (with ``WWW-Authenticate: Bearer``); a role that
may not do what it asks gets 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from wellclear.service.live import Live
from wellclear.store.parties import Principal, authenticate

_bearer = HTTPBearer(auto_error=False, description="The token of `wellclear party add`.")


def live(request: Request) -> Live:
    """The service's engine owner."""
    live: Live = request.app.state.live
    return live


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from its bearer token."""
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "a valid bearer token is required (Authorization: Bearer TOKEN)",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized
    who = authenticate(request.app.state.live.store, credentials.credentials)
    if who is None:
        raise unauthorized
    request.state.principal = who
    return who


Caller = Annotated[Principal, Depends(principal)]
LiveDep = Annotated[Live, Depends(live)]


def may_post(who: Principal) -> None:
    """Parties and the cell post reports; observers only read."""
    if who.role == "observer":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an observer may not post")
