"""Two iamd nodes over one PostgreSQL database (issue 7): changes made through one node are enforced
by the other within a second, concurrent writers through both nodes never create a name twice, and
one node stopping leaves the other serving. Needs IAMD_TEST_POSTGRES_URL (set by .ci/run)."""

import concurrent.futures
import json
import os
import secrets
import subprocess
import time

import botocore.exceptions
import pytest

from conftest import Server

PG = os.environ.get("IAMD_TEST_POSTGRES_URL")

if not PG:
    print("\nSKIPPED: IAMD_TEST_POSTGRES_URL is not set; the two-node PostgreSQL tests did not run")
pytestmark = pytest.mark.skipif(not PG, reason="SKIPPED: IAMD_TEST_POSTGRES_URL is not set")


@pytest.fixture
def nodes(tmp_path):
    schema = f"e2e_{secrets.token_hex(6)}"
    sep = "&" if "?" in PG else "?"
    url = f"{PG}{sep}schema={schema}"
    key = tmp_path / "master.key"
    key.write_bytes(os.urandom(32))
    a = Server("--dev", "--store", url, "--master-key-file", str(key), data_dir=tmp_path / "a").start()
    b = Server("--dev", "--store", url, "--master-key-file", str(key), data_dir=tmp_path / "b").start()
    yield a, b
    for s in (a, b):
        if s.proc.poll() is None:
            assert s.stop() == 0, s.logs()
    subprocess.run(["psql", PG, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
                   capture_output=True, timeout=30)


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


def test_changes_through_one_node_are_enforced_by_the_other(nodes):
    a, b = nodes
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
    # A deleted key stops on the other node too.
    iam_a.delete_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"])
    eventually(lambda: assert_code(alice_b.list_users, "InvalidClientTokenId"))


def assert_code(fn, expected, **kw):
    assert code(fn, **kw) == expected


def test_concurrent_creates_through_both_nodes_create_each_name_once(nodes):
    a, b = nodes
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


def test_stopping_one_node_leaves_the_other_serving(nodes):
    a, b = nodes
    a.client("iam").create_user(UserName="survivor")
    assert a.stop() == 0
    assert b.client("iam").get_user(UserName="survivor")["User"]["UserName"] == "survivor"
    assert b.client("sts").get_caller_identity()["Account"] == "000000000000"
