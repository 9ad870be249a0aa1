"""The request owns the transaction, and the client learns of a failed commit."""

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError

from suanli.api.deps import SessionDep
from suanli.db.models.organisations import LoginFailureRow


def test_a_commit_refused_by_the_database_is_a_409_not_a_200(api):
    router = APIRouter()

    @router.post("/api/v1/test/fail-at-commit")
    def fail_at_commit(session: SessionDep) -> dict[str, str]:
        def refuse(_session, _context, _instances):
            raise IntegrityError("INSERT", {}, Exception("unique violation"))

        from sqlalchemy import event

        event.listen(session, "before_flush", refuse, once=True)
        session.add(LoginFailureRow(username="someone", failures=1))  # written only at commit
        return {"status": "written"}  # the handler believes it worked

    api.client.app.include_router(router)
    response = api.client.post("/api/v1/test/fail-at-commit")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    with api.sessions() as s:
        assert s.query(LoginFailureRow).count() == 0


def test_a_change_the_database_refuses_mid_request_is_a_409_not_a_500(api):
    router = APIRouter()

    @router.post("/api/v1/test/dangling-reference")
    def dangling(session: SessionDep) -> dict[str, str]:
        from suanli.db.models.organisations import UserRow

        session.add(UserRow(username="ghost", display_name="ghost", password_hash="x", role="org_member",
                            organisation_id=987654))  # no such organisation
        session.flush()
        return {"status": "written"}

    api.client.app.include_router(router)
    response = api.client.post("/api/v1/test/dangling-reference")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
