"""Audit events (issue #14) against a real `iamd serve`: durability under kill -9, the record of
an allowed and a denied call, and no secret in the stored events. Events are read with
`iamd audit dump` (LookupEvents is a separate piece of work)."""

import json
import os
import signal
import subprocess
import threading
import time
import uuid

import botocore.exceptions

import pytest

from conftest import Server, assert_not_at_rest, iamd_binary

PG = os.environ.get("IAMD_E2E_POSTGRES_URL")


def dump(server):
    store = [a for a in server.args if a.startswith("postgres")]
    where = ["--store", store[0]] if store else ["--data-dir", str(server.data_dir)]
    out = subprocess.run([iamd_binary(), "audit", "dump", *where],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_every_acknowledged_mutation_has_its_event_after_kill_9(backend):
    extra = []
    schema = None
    if backend == "postgres":
        if not PG:
            pytest.skip("SKIPPED: IAMD_E2E_POSTGRES_URL is not set")
        schema = f"audit_kill_{uuid.uuid4().hex[:12]}"
        sep = "&" if "?" in PG else "?"
        extra = ["--store", f"{PG}{sep}schema={schema}"]
    server = Server("--dev", *extra).start()
    try:
        acknowledged = []
        lock = threading.Lock()
        stop = threading.Event()

        def burst(t):
            iam = server.client("iam")
            i = 0
            while not stop.is_set():
                name = f"burst-{t}-{i}"
                i += 1
                try:
                    iam.create_user(UserName=name)
                except Exception:  # the server died under us: not acknowledged
                    return
                with lock:
                    acknowledged.append(name)

        threads = [threading.Thread(target=burst, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        deadline = time.time() + 30
        while time.time() < deadline and len(acknowledged) < 150:
            time.sleep(0.05)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        stop.set()
        for th in threads:
            th.join(timeout=30)
        assert len(acknowledged) >= 50, "the burst should have been acknowledged many times"

        events = dump(server)
        created = {e["requestParameters"]["userName"] for e in events
                   if e["eventName"] == "CreateUser" and "errorCode" not in e}
        missing = [n for n in acknowledged if n not in created]
        assert not missing, f"{len(missing)} acknowledged CreateUser without an event: {missing[:5]}"

        # And the server restarts on the same data, with the events still there.
        server.log.close()
        server.start()
        assert server.alive()
        assert len(dump(server)) >= len(acknowledged)
    finally:
        server.stop()
        server.cleanup()
        if schema:
            subprocess.run(["psql", PG, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
                           capture_output=True, check=False)


def test_allowed_and_denied_calls_are_recorded_without_secrets():
    server = Server("--dev").start()
    try:
        root = server.client("iam")
        root.create_user(UserName="reader")
        root.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                           "Resource": "arn:aws:secretsmanager:*:*:secret:ok/*"}]}))
        key = root.create_access_key(UserName="reader")["AccessKey"]
        root.create_login_profile(UserName="reader", Password="Audit-Pa55word-e2e!")
        sm = server.client("secretsmanager")
        value = "audit-e2e-secret-" + uuid.uuid4().hex
        sm.create_secret(Name="ok/db", SecretString=value)
        sm.create_secret(Name="no/db", SecretString=value)
        reader = server.client("secretsmanager", key=key["AccessKeyId"], secret=key["SecretAccessKey"],
                               user_agent_extra="audit-e2e")
        assert reader.get_secret_value(SecretId="ok/db")["SecretString"] == value
        try:
            reader.get_secret_value(SecretId="no/db")
            raise AssertionError("GetSecretValue on no/db should be denied")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDeniedException"
        sts = server.client("sts")
        creds = sts.get_session_token()["Credentials"]
        # Read-only events are committed within a second of the response.
        time.sleep(1.5)

        events = dump(server)
        gets = [e for e in events if e["eventName"] == "GetSecretValue"]
        assert len(gets) == 2, gets
        allowed, denied = gets
        assert "errorCode" not in allowed
        assert allowed["requestParameters"] == {"secretId": "ok/db"}
        assert allowed["responseElements"] is None
        assert allowed["readOnly"] is True
        assert allowed["userIdentity"]["type"] == "IAMUser"
        assert allowed["userIdentity"]["userName"] == "reader"
        assert allowed["sourceIPAddress"] == "127.0.0.1"
        assert "audit-e2e" in allowed["userAgent"]
        assert allowed["resources"][0]["ARN"].startswith("arn:aws:secretsmanager:us-east-1:000000000000:secret:ok/db-")
        assert denied["errorCode"] == "AccessDeniedException"
        assert "secretsmanager:GetSecretValue" in denied["errorMessage"]
        for e in events:
            assert e["eventVersion"] == "1.11"
            assert e["eventType"] == "AwsApiCall"
            assert e["recipientAccountId"] == "000000000000"
            assert len(e["eventTime"]) == 20 and e["eventTime"].endswith("Z")
        session = [e for e in events if e["eventName"] == "GetSessionToken"]
        assert session and session[0]["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]

        assert_not_at_rest(server, [value, key["SecretAccessKey"], "Audit-Pa55word-e2e!",
                                    creds["SecretAccessKey"], creds["SessionToken"]])
    finally:
        server.stop()
        server.cleanup()


def test_audit_off_records_nothing_and_retention_is_configurable():
    off = Server("--dev", "--audit", "off").start()
    try:
        off.client("iam").create_user(UserName="unrecorded")
        assert off.stop() == 0
        assert dump(off) == []
        assert "auditing is off" in off.logs()
    finally:
        off.cleanup()
    on = Server("--dev", "--audit-retention-days", "7").start()
    try:
        on.client("iam").create_user(UserName="recorded")
        assert on.stop() == 0, "SIGTERM flushes the queue and exits 0"
        assert [e["requestParameters"] for e in dump(on) if e["eventName"] == "CreateUser"] == [
            {"userName": "recorded"}]
    finally:
        on.cleanup()
    bad = subprocess.run([iamd_binary(), "serve", "--audit-retention-days", "0"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "audit-retention-days" in bad.stderr
