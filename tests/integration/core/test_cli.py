"""The `suanli` command as a user runs it: a real process, one-line errors, no tracebacks."""

import json
import os
import subprocess
import sys
from pathlib import Path

SUANLI = str(Path(sys.executable).with_name("suanli"))


def run(*args, env=None, input=None):
    return subprocess.run([SUANLI, *args], check=False, capture_output=True, text=True, env={**os.environ, **(env or {})},
                          input=input, timeout=120)


def test_db_upgrade_then_demo_load_then_accounts_as_json(tmp_path):
    env = {"SUANLI_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db", "SUANLI_DATA_DIR": str(tmp_path)}
    assert run("db", "upgrade", env=env).returncode == 0
    loaded = run("demo", "load", env=env)
    assert loaded.returncode == 0, loaded.stderr
    accounts = json.loads(run("demo", "accounts", "--json", env=env).stdout)
    roles = {a["role"] for a in accounts}
    assert roles == {"platform_operator", "provider_admin", "org_admin", "org_member", "program_officer",
                     "finance_officer", "auditor"}
    assert all(set(a) == {"username", "password", "role", "organisation"} for a in accounts)
    again = run("demo", "load", env=env)
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_demo_accounts_refuses_on_a_non_demo_database(tmp_path):
    env = {"SUANLI_DATABASE_URL": f"sqlite:///{tmp_path}/plain.db"}
    assert run("db", "upgrade", env=env).returncode == 0
    refused = run("demo", "accounts", "--json", env=env)
    assert refused.returncode != 0
    assert "not a demo database" in refused.stderr and "Traceback" not in refused.stderr


def test_client_commands_without_a_sign_in_say_so_in_one_line(tmp_path):
    refused = run("jobs", env={"SUANLI_CREDENTIALS": str(tmp_path / "none.json")})
    assert refused.returncode != 0
    assert "suanli login" in refused.stderr and "Traceback" not in refused.stderr


def test_the_process_prints_its_version_exits_2_on_a_bad_flag_and_1_when_the_server_is_away(tmp_path):
    from suanli import __version__
    from suanli_testing import free_port

    assert run("--version").stdout.strip() == f"suanli {__version__}"
    bad = run("jobs", "--no-such-flag")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    away = f"http://127.0.0.1:{free_port()}"
    refused = run("jobs", env={"SUANLI_URL": away, "SUANLI_TOKEN": "t", "SUANLI_CREDENTIALS": str(tmp_path / "n")})
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert away in refused.stderr and "SUANLI_URL" in refused.stderr and "Traceback" not in refused.stderr


def test_submit_needs_a_pool_or_auto_and_says_so(tmp_path):
    refused = run("submit", "echo hi", env={"SUANLI_CREDENTIALS": str(tmp_path / "none.json")})
    assert refused.returncode == 2 and "--auto" in refused.stderr


def test_a_user_signs_in_submits_watches_and_reads_logs_against_a_live_demo_server(tmp_path):
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"SUANLI_DATABASE_URL": f"sqlite:///{tmp_path}/live.db", "SUANLI_DATA_DIR": str(tmp_path),
           "SUANLI_CREDENTIALS": str(tmp_path / "cred.json"), "SUANLI_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen([SUANLI, "serve", "--demo", "--port", str(port)], env={**os.environ, **env},
                              stdout=subprocess.DEVNULL,  # its log to a file: an unread pipe fills and blocks the server
                              stderr=(tmp_path / "server.log").open("wb"))
    try:
        deadline = time.monotonic() + 240  # the demo loads first: over a minute on a busy machine
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.3)
        accounts = json.loads(run("demo", "accounts", "--json", env=env).stdout)
        dev = next(a for a in accounts if a["username"] == "zhixing-dev")
        assert run("login", "--username", "zhixing-dev", env={**env, "SUANLI_PASSWORD": dev["password"]}).returncode == 0
        submitted = run("submit", "echo from-cli", "--center", "local", "--pool", "cpu", "--json", env=env)
        assert submitted.returncode == 0, submitted.stderr
        job_id = json.loads(submitted.stdout)["id"]
        while json.loads(run("job", "show", str(job_id), "--json", env=env).stdout)["state"] != "succeeded":
            assert time.monotonic() < deadline + 30, "job did not finish"
            time.sleep(0.5)
        assert run("job", "logs", str(job_id), env=env).stdout == "from-cli\n"
        listed = json.loads(run("jobs", "--json", env=env).stdout)
        assert job_id in [j["id"] for j in listed]
        refused = run("job", "cancel", str(job_id), env=env)
        assert refused.returncode != 0 and "cannot go from succeeded" in refused.stderr
    finally:
        server.terminate()
        server.wait(timeout=20)
