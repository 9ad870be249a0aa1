"""The CLI's one way to the platform: an HTTP client for the server the user signed in to.

Where the server is: `--url` (on `suanli` or `suanli login`), else `SUANLI_URL`, else the address
saved by `suanli login`, else http://127.0.0.1:8000. The token saved by `suanli login` (or
`SUANLI_TOKEN`) goes with every call, so a command shows exactly what the API shows that person. A
problem+json answer becomes one line and exit 1; an unreachable server one line naming the URL.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from suanli.cli.common import fail, write_file

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT_S = 30.0
_chosen_url: str | None = None  # set by the root `--url` option for this process's commands


def credentials_path() -> Path:
    default = Path.home() / ".config" / "suanli" / "credentials.json"
    return Path(os.environ.get("SUANLI_CREDENTIALS", default))


def choose_url(url: str | None) -> None:
    global _chosen_url
    _chosen_url = url.rstrip("/") if url else None


def saved() -> dict[str, str]:
    path = credentials_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        fail(f"cannot read the saved sign-in {path}: run `suanli login` again")
    return data if isinstance(data, dict) else {}


def save_credentials(base_url: str, token: str) -> Path:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"base_url": base_url, "token": token}))
    path.chmod(0o600)
    return path


def base_url(explicit: str | None = None) -> str:
    url = explicit or _chosen_url or os.environ.get("SUANLI_URL") or saved().get("base_url") or DEFAULT_URL
    return url.rstrip("/")


def token() -> str:
    found = os.environ.get("SUANLI_TOKEN") or saved().get("token")
    if not found:
        fail("not signed in: run `suanli login --username U` first (add `--url http://HOST:PORT` for a "
             "server that is not on 127.0.0.1:8000)")
    return found


def unreachable(url: str, exc: Exception) -> str:
    reason = type(exc).__name__ if not str(exc) else str(exc).splitlines()[0]
    return (f"cannot reach the Suanli server at {url} ({reason}); is it running? Give the address with "
            f"`--url http://HOST:PORT` or SUANLI_URL")


def problem_line(response: httpx.Response) -> str:
    """`detail [type]`, with the Chinese wording first when the problem carries one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return f"the server answered {response.status_code} {response.reason_phrase}"
    detail = str(body.get("detail") or body.get("title") or response.reason_phrase)
    message = body.get("message")
    zh = body.get("detail_zh") or (message.get("zh") if isinstance(message, dict) else None)
    if zh and zh != detail:
        detail = f"{zh} / {detail}"
    if body.get("rule"):  # a refusal by a program's rule names it, as the decision would
        detail += f" (rule {body['rule']})"
    slug = str(body.get("type", "")).rsplit("/", 1)[-1] or str(response.status_code)
    if response.status_code == 401:
        detail += " — run `suanli login` again"
    return " ".join(f"{detail} [{slug}]".split())


def request(method: str, path: str, *, authenticated: bool = True, raw: bool = False, **kwargs: Any) -> Any:
    """One API call. Returns the decoded JSON (or text); with `raw`, the response itself, refusals
    included. Otherwise a refusal is one line on stderr and exit 1."""
    url = base_url()
    headers = dict(kwargs.pop("headers", {}))
    if authenticated:
        headers["Authorization"] = f"Bearer {token()}"
    try:
        with httpx.Client(base_url=url, timeout=TIMEOUT_S) as client:
            response = client.request(method, path, headers=headers, **kwargs)
    except httpx.TransportError as exc:
        fail(unreachable(url, exc))
    if raw:
        return response
    if response.status_code >= 400:
        fail(problem_line(response))
    if response.status_code == 204:
        return None
    if "json" in response.headers.get("content-type", ""):
        return response.json()
    return response.text


def get(path: str, **params: Any) -> Any:
    return request("GET", path, params={k: v for k, v in params.items() if v is not None and v != []})


def post(path: str, body: Any = None, **kwargs: Any) -> Any:
    return request("POST", path, json=body, **kwargs)


def get_all(path: str, *, limit: int | None = None, **params: Any) -> list[Any]:
    """Every page of a list endpoint (`offset`/`limit`, at most 500 a page), up to `limit` items."""
    found: list[Any] = []
    while limit is None or len(found) < limit:
        size = 500 if limit is None else min(500, limit - len(found))
        page = get(path, offset=len(found), limit=size, **params)
        found.extend(page)
        if len(page) < size:
            break
    return found


def fetch(path: str, *, authenticated: bool = True, **kwargs: Any) -> bytes:
    """GET a file's bytes: a refusal is the API's one line (exit 1)."""
    response = request("GET", path, raw=True, authenticated=authenticated, **kwargs)
    if response.status_code >= 400:
        fail(problem_line(response))
    return bytes(response.content)


def download(path: str, out: Path, *, authenticated: bool = True, **kwargs: Any) -> int:
    """GET a file into `out`: a refusal is the API's one line (exit 1), a file that cannot be written a
    usage error (exit 2). The number of bytes written."""
    return write_file(out, fetch(path, authenticated=authenticated, **kwargs))
