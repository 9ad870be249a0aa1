"""What the read models share: role checks that raise the service error the edges render."""

from __future__ import annotations

from suanli.domain.errors import Forbidden
from suanli.domain.organisations import Principal, Role


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise Forbidden(f"this needs one of the roles: {', '.join(r.value for r in roles)}")
