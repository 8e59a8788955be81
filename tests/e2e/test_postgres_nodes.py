"""Two iamd nodes over one PostgreSQL database (issue 7): changes made through one node are enforced
by the other within a second, concurrent writers through both nodes never create a name twice, and
one node stopping leaves the other serving. Needs IAMD_TEST_POSTGRES_URL (set by .ci/run)."""

import concurrent.futures
import json
import secrets
import socket
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import botocore.exceptions
import pytest
import requests

from conftest import PG, start_two_nodes, stop_nodes

if not PG:
    print("\nSKIPPED: IAMD_TEST_POSTGRES_URL is not set; the two-node PostgreSQL tests did not run")
pytestmark = pytest.mark.skipif(not PG, reason="SKIPPED: IAMD_TEST_POSTGRES_URL is not set")


class Proxy:
    """A TCP relay between the nodes and PostgreSQL that the test can cut and restore: the
    database "goes away" for the nodes without stopping the machine's PostgreSQL server."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.conns = []
        self.listener = None
        self.lock = threading.Lock()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        # shutdown() wakes the thread blocked in accept(); close() alone would leave the listening
        # socket alive until that accept() returned.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self.conns = []


def eventually(fn, timeout=1.0):
    """Calls fn until it returns without raising, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except (AssertionError, botocore.exceptions.ClientError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def code(fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return "OK"


def test_changes_through_one_node_are_enforced_by_the_other(pg_nodes):
    a, b = pg_nodes
    iam_a = a.client("iam")
    iam_a.create_user(UserName="alice")
    k = iam_a.create_access_key(UserName="alice")["AccessKey"]
    alice_b = b.client("iam", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    # The key created on A authenticates on B within a second (and is denied: no policy yet).
    started = time.monotonic()
    eventually(lambda: assert_code(alice_b.list_users, "AccessDenied"))
    iam_a.put_user_policy(UserName="alice", PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    eventually(lambda: alice_b.list_users())
    iam_a.delete_user_policy(UserName="alice", PolicyName="list")
    eventually(lambda: assert_code(alice_b.list_users, "AccessDenied"))
    assert time.monotonic() - started < 10
    # Secrets written through B are read through A, still encrypted with the shared key.
    b.client("secretsmanager").create_secret(Name="shared/one", SecretString="v1")
    eventually(lambda: a.client("secretsmanager").get_secret_value(SecretId="shared/one"))
    # A session issued by A is accepted by B (shared master key; nothing stored per session).
    iam_a.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    role_arn = iam_a.create_role(RoleName="Shared", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "AWS": "arn:aws:iam::000000000000:user/alice"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    alice_a = a.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    creds = eventually(lambda: alice_a.assume_role(RoleArn=role_arn, RoleSessionName="s1"))["Credentials"]
    session_b = b.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                         token=creds["SessionToken"])
    who = eventually(lambda: session_b.get_caller_identity())
    assert who["Arn"] == "arn:aws:sts::000000000000:assumed-role/Shared/s1"
    # A deleted key stops on the other node too.
    iam_a.delete_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"])
    eventually(lambda: assert_code(alice_b.list_users, "InvalidClientTokenId"))


def assert_code(fn, expected, **kw):
    assert code(fn, **kw) == expected


def totp(seed_b32, step):
    import base64
    import hashlib
    import hmac
    import struct
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    h = hmac.new(key, struct.pack(">q", step), hashlib.sha1).digest()
    off = h[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", h[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def test_an_mfa_code_spent_on_one_node_is_refused_by_the_other(pg_nodes):
    """Issues 4/5: the last accepted MFA step is kept in the device's record in PostgreSQL, so a
    one-time code accepted by node A is refused by node B, also when both get it at once."""
    a, b = pg_nodes
    iam_a = a.client("iam")
    iam_a.create_user(UserName="mfa")
    k = iam_a.create_access_key(UserName="mfa")["AccessKey"]
    d = iam_a.create_virtual_mfa_device(VirtualMFADeviceName="mfa-phone")["VirtualMFADevice"]
    serial, seed = d["SerialNumber"], d["Base32StringSeed"].decode()
    step = int(time.time()) // 30
    iam_a.enable_mfa_device(UserName="mfa", SerialNumber=serial,
                            AuthenticationCode1=totp(seed, step - 2),
                            AuthenticationCode2=totp(seed, step - 1))
    sts = {n: s.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
           for n, s in (("a", a), ("b", b))}
    eventually(lambda: sts["b"].get_caller_identity())
    # The codes that enabled the device are spent on B as well.
    assert code(sts["b"].get_session_token, SerialNumber=serial,
                TokenCode=totp(seed, step - 1)) == "AccessDenied"
    sts["a"].get_session_token(SerialNumber=serial, TokenCode=totp(seed, step))
    assert code(sts["b"].get_session_token, SerialNumber=serial,
                TokenCode=totp(seed, step)) == "AccessDenied"
    # Both nodes at once with the next code: exactly one is let through.
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(
            lambda n: code(sts[n].get_session_token, SerialNumber=serial,
                           TokenCode=totp(seed, step + 1)), ["a", "b", "a", "b"]))
    assert sorted(results) == ["AccessDenied"] * 3 + ["OK"], results


def test_concurrent_creates_through_both_nodes_create_each_name_once(pg_nodes):
    a, b = pg_nodes
    names = [f"user{i:03d}" for i in range(200)]
    clients = {"a": a.client("iam", max_pool_connections=16), "b": b.client("iam", max_pool_connections=16)}

    def create(args):
        node, name = args
        return name, code(clients[node].create_user, UserName=name)

    work = [("a", n) for n in names] + [("b", n) for n in names]
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        results = list(ex.map(create, work))
    by_name = {}
    for name, c in results:
        by_name.setdefault(name, []).append(c)
    for name, codes in by_name.items():
        assert sorted(codes) == ["EntityAlreadyExists", "OK"], (name, codes)
    users = clients["a"].get_paginator("list_users").paginate().build_full_result()["Users"]
    assert sorted(u["UserName"] for u in users) == names


@pytest.fixture
def proxied_nodes(tmp_path):
    parts = urlsplit(PG)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    netloc = (parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else "") + f"127.0.0.1:{proxy.port}"
    schema = f"e2e_{secrets.token_hex(6)}"
    query = (parts.query + "&" if parts.query else "") + f"schema={schema}&connect_timeout=2"
    url = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    a, b = start_two_nodes(tmp_path, url)
    yield proxy, a, b
    proxy.start() if proxy.listener.fileno() == -1 else None
    stop_nodes((a, b), schema)


def test_database_outage_fails_clearly_and_both_nodes_recover(proxied_nodes):
    proxy, a, b = proxied_nodes
    a.client("iam").create_user(UserName="before")
    # Both nodes know the account and the user before the database goes away.
    eventually(lambda: b.client("iam").get_user(UserName="before"))
    proxy.stop()
    # Writes cannot be acknowledged: a clear AWS-style error, quickly, and no crash.
    for node in (a, b):
        started = time.monotonic()
        try:
            node.client("iam").create_user(UserName=f"during-{node.port}")
            raise AssertionError("a write succeeded while the database was unreachable")
        except botocore.exceptions.ClientError as e:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 503, e.response
            assert e.response["Error"]["Code"] == "ServiceUnavailable", e.response
        assert time.monotonic() - started < 30
        # Still up: what needs no database keeps working, and health says the store is away.
        assert node.proc.poll() is None, node.logs()
        assert node.client("sts").get_caller_identity()["Account"] == "000000000000"
        health = requests.get(f"{node.url}/_iamd/health", timeout=10)
        assert (health.status_code, health.json()["status"]) == (503, "unavailable")
        assert "panicked" not in node.logs()
    # The database comes back: both nodes serve again without a restart of their own.
    proxy.start()
    for node in (a, b):
        eventually(lambda: node.client("iam").create_user(UserName=f"after-{node.port}"), timeout=20)
    names = {u["UserName"] for u in a.client("iam").list_users()["Users"]}
    assert {"before", f"after-{a.port}", f"after-{b.port}"} <= names
    assert not any(n.startswith("during-") for n in names)


def test_stopping_one_node_leaves_the_other_serving(pg_nodes):
    a, b = pg_nodes
    a.client("iam").create_user(UserName="survivor")
    assert a.stop() == 0
    assert b.client("iam").get_user(UserName="survivor")["User"]["UserName"] == "survivor"
    assert b.client("sts").get_caller_identity()["Account"] == "000000000000"
