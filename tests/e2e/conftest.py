"""Fixtures that start real `iamd serve` processes on free loopback ports.

Every server binds 127.0.0.1 on a port the OS chose, gets its own temporary data directory, and is
stopped with SIGTERM at teardown; the fixture then checks that it exited 0 (graceful shutdown).
"""

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def iamd_binary() -> str:
    path = os.environ.get("IAMD_BIN") or str(ROOT / "target" / "debug" / "iamd")
    if not Path(path).exists():
        raise RuntimeError(f"iamd binary not found at {path}; run `cargo build` or set IAMD_BIN")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *extra_args, data_dir=None, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="iamd-e2e-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.args = [iamd_binary(), "serve", "--listen", f"127.0.0.1:{self.port}",
                     "--data-dir", str(self.data_dir), *extra_args]
        self.env = {**os.environ, **(env or {})}
        self.log_path = self.data_dir.parent / f"iamd-{self.port}.log"
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"iamd exited early with {self.proc.returncode}:\n{self.logs()}")
            try:
                r = requests.get(f"{self.url}/_iamd/health", timeout=1)
                if r.status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"iamd did not become healthy:\n{self.logs()}")

    def logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None and requests.get(f"{self.url}/_iamd/health", timeout=5).status_code == 200

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def cleanup(self):
        if self._tmp is not None:
            self._tmp.cleanup()

    def client(self, service, key="test", secret="test", token=None, region="us-east-1", **kw):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=botocore.config.Config(retries={"max_attempts": 1}, **kw),
        )

    def cli(self, *args, key="test", secret="test", token=None, region="us-east-1", check=True):
        """Runs the aws CLI against this server with only the given credentials in scope."""
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.data_dir),
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_MAX_ATTEMPTS": "1",
        }
        if token:
            env["AWS_SESSION_TOKEN"] = token
        proc = subprocess.run(["aws", "--endpoint-url", self.url, "--output", "json", *args],
                              env=env, capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc


@pytest.fixture(scope="session")
def dev_server():
    """One dev-mode server for the whole session; tests that change state reset it. With
    IAMD_E2E_POSTGRES_URL set, it runs on PostgreSQL (a fresh schema) instead of SQLite."""
    extra = []
    pg = os.environ.get("IAMD_E2E_POSTGRES_URL")
    schema = None
    if pg:
        import secrets as _secrets
        schema = f"e2e_{_secrets.token_hex(6)}"
        sep = "&" if "?" in pg else "?"
        extra = ["--store", f"{pg}{sep}schema={schema}"]
    s = Server("--dev", *extra).start()
    yield s
    code = s.stop()
    s.cleanup()
    if schema:
        subprocess.run(["psql", pg, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
                       capture_output=True, timeout=30)
    assert code == 0, f"iamd did not shut down cleanly (exit {code}):\n{s.logs()}"


@pytest.fixture
def dev(dev_server):
    """The dev server, wiped before the test, and checked to be alive after it."""
    r = requests.post(f"{dev_server.url}/_iamd/reset", timeout=10)
    assert r.status_code == 200, r.text
    yield dev_server
    assert dev_server.alive(), f"iamd died during the test:\n{dev_server.logs()}"


# --- helpers shared by the test files ------------------------------------------------------------

def error_of(call, *args, **kwargs):
    """(HTTP status, code, message) of a boto3 call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        call(*args, **kwargs)
    r = exc.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def fails(call, *args, **kwargs):
    """(code, message, HTTP status) of a boto3 call that must fail (the IAM tests' order)."""
    status, code, message = error_of(call, *args, **kwargs)
    return code, message, status


def cli_error(proc):
    """(code, message) parsed from the aws CLI's stderr."""
    import re
    assert proc.returncode != 0, proc.stdout
    m = re.search(r"An error occurred \((\w+)\) when calling the \w+ operation: (.*)", proc.stderr)
    assert m, proc.stderr
    return m.group(1), m.group(2).strip()


PG = os.environ.get("IAMD_TEST_POSTGRES_URL")


def assert_not_at_rest(server, markers):
    """None of `markers` in any file under the server's data directory, in the records of the
    PostgreSQL store when the server runs on IAMD_E2E_POSTGRES_URL, nor in its log."""
    files = [f for f in server.data_dir.rglob("*") if f.is_file()]
    pg = os.environ.get("IAMD_E2E_POSTGRES_URL")
    if pg and any(a.startswith("postgres") for a in server.args):
        # The records live in PostgreSQL: dump every schema's records and search them.
        rows = subprocess.run(["psql", pg, "-At", "-c",
                               "SELECT schemaname FROM pg_tables WHERE tablename = 'records'"],
                              capture_output=True, text=True, check=True).stdout.split()
        assert rows
        for schema in rows:
            data = subprocess.run(["psql", pg, "-At", "-c",
                                   f"SELECT encode(data, 'escape') FROM {schema}.records"],
                                  capture_output=True, text=True, check=True).stdout
            for m in markers:
                assert m not in data, f"a secret value in {schema}.records"
        # The audit events (issue #14) are scanned too.
        audited = subprocess.run(["psql", pg, "-At", "-c",
                                  "SELECT schemaname FROM pg_tables WHERE tablename = 'audit_events'"],
                                 capture_output=True, text=True, check=True).stdout.split()
        for schema in audited:
            data = subprocess.run(["psql", pg, "-At", "-c", f"SELECT record FROM {schema}.audit_events"],
                                  capture_output=True, text=True, check=True).stdout
            for m in markers:
                assert m not in data, f"a secret value in {schema}.audit_events"
    else:
        assert any(f.name.startswith("iamd.db") for f in files), files
    for f in files:
        data = f.read_bytes()
        for m in markers:
            assert m.encode() not in data, f"a secret value in {f}"
    logs = server.logs()
    for m in markers:
        assert m not in logs, "a secret value in the server's log"


def start_two_nodes(tmp_path, store_url):
    """Two dev-mode nodes on one PostgreSQL store URL, sharing a fresh master key."""
    key = tmp_path / "master.key"
    key.write_bytes(os.urandom(32))
    return tuple(Server("--dev", "--store", store_url, "--master-key-file", str(key),
                        data_dir=tmp_path / name).start() for name in ("a", "b"))


def stop_nodes(nodes, schema):
    """Stops the nodes (each must exit 0) and drops their schema."""
    for s in nodes:
        if s.proc.poll() is None:
            assert s.stop() == 0, s.logs()
    subprocess.run(["psql", PG, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
                   capture_output=True, timeout=30)


@pytest.fixture
def pg_nodes(tmp_path):
    """Two nodes over one fresh schema of IAMD_TEST_POSTGRES_URL (skipped loudly without it)."""
    if not PG:
        pytest.skip("SKIPPED: IAMD_TEST_POSTGRES_URL is not set")
    import secrets as _secrets
    schema = f"e2e_{_secrets.token_hex(6)}"
    sep = "&" if "?" in PG else "?"
    nodes = start_two_nodes(tmp_path, f"{PG}{sep}schema={schema}")
    yield nodes
    stop_nodes(nodes, schema)
