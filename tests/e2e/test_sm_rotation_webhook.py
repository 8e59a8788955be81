"""The `webhook` rotator (issue #18, docs/rotation-webhook.md): `iamd serve`'s flags, and
RotateSecret with `arn:aws:lambda:REGION:ACCOUNT:function:iamd-rotator-webhook` against a small
HTTP receiver on 127.0.0.1 that checks every request's signature as the doc tells receivers to.

The rotation tests need the rotation engine (RotateSecret running the built-in rotators); on a
server without it they skip, saying so."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import botocore.exceptions
import pytest

from conftest import ROOT, Server

KEY = b"e2e-webhook-signing-key-0123456789abcdef"
TEST_CA = ROOT / "crates" / "iamd-rotators" / "testdata" / "webhook-tls" / "ca.pem"
TAG = "iamd:rotator:webhook-url"


def verify_signature(key: bytes, header: str, body: bytes, tolerance: int = 300) -> bool:
    """A receiver's check, as docs/rotation-webhook.md gives it."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
        sent = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance:
        return False
    expected = hmac.new(key, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sent)


class Receiver:
    """A webhook receiver: records each request; answers createSecret with `new_value` (if set),
    and `fail_step` with HTTP 500."""

    def __init__(self, new_value=None, fail_step=None):
        self.requests = []
        self.new_value = new_value
        self.fail_step = fail_step
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                event = json.loads(body)
                outer.requests.append({
                    "path": self.path,
                    "event": event,
                    "signed": verify_signature(KEY, self.headers.get("X-Iamd-Signature", ""), body),
                    "content_type": self.headers.get("Content-Type"),
                })
                if event.get("Step") == outer.fail_step:
                    self._answer(500, b'{"error":"the receiver refused"}')
                elif event.get("Step") == "createSecret" and outer.new_value is not None:
                    self._answer(200, json.dumps({"SecretString": outer.new_value}).encode())
                else:
                    self._answer(200, b"{}")

            def _answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def steps(self):
        return [r["event"]["Step"] for r in self.requests]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def key_file(tmp_path):
    p = tmp_path / "webhook.key"
    p.write_bytes(KEY + b"\n")
    p.chmod(0o600)
    return p


@pytest.fixture
def receiver():
    r = Receiver(new_value="rotated-by-the-receiver-Zq9")
    yield r
    r.close()


def webhook_server(tmp_path, receiver, key_file, *extra):
    return Server("--dev", "--rotation-webhook-allow", f"{receiver.url}/rotate",
                  "--rotation-webhook-secret-file", str(key_file), *extra,
                  data_dir=tmp_path / "data").start()


def lambda_arn(server):
    account = server.client("sts").get_caller_identity()["Account"]
    return f"arn:aws:lambda:us-east-1:{account}:function:iamd-rotator-webhook"


def rotate_or_skip(sm, **kwargs):
    """RotateSecret; skips the test when this server has no rotation engine or no webhook
    rotator yet. Returns the response, or the ClientError of a rotation that failed at once."""
    try:
        return sm.rotate_secret(**kwargs)
    except botocore.exceptions.ClientError as e:
        code = e.response["Error"]["Code"]
        message = e.response["Error"]["Message"]
        if code == "NotImplemented" or (code == "AccessDeniedException" and "cannot invoke" in message):
            pytest.skip(f"SKIPPED: this server does not run the webhook rotator yet "
                        f"(RotateSecret answered {code}: {message}); it needs the rotation engine of issue #18")
        return e


def wait_for(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def stages(sm, secret_id):
    return sm.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})


# --- the flags ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--rotation-webhook-allow", "ftp://hooks.example.com/", "--rotation-webhook-secret-file", "{key}"],
     "--rotation-webhook-allow `ftp://hooks.example.com/`: the scheme `ftp` is not https"),
    (["--rotation-webhook-allow", "https://user:pw@hooks.example.com/", "--rotation-webhook-secret-file", "{key}"],
     "userinfo (`user@host`) is not allowed"),
    (["--rotation-webhook-allow", "https://hooks.example.com/a/../b", "--rotation-webhook-secret-file", "{key}"],
     "the path holds a `.` or `..` segment"),
    (["--rotation-webhook-allow", "hooks.example.com", "--rotation-webhook-secret-file", "{key}"],
     "the URL must start with https://"),
    (["--rotation-webhook-allow", "http://127.0.0.1:8080/", "--rotation-webhook-secret-file", "{key}"],
     "http:// is allowed only in --dev mode; use https://"),
    (["--rotation-webhook-allow", "https://hooks.example.com/"],
     "--rotation-webhook-allow needs --rotation-webhook-secret-file"),
    (["--rotation-webhook-url", "https://hooks.example.com/"],
     "--rotation-webhook-url needs --rotation-webhook-allow"),
    (["--rotation-webhook-allow", "https://hooks.example.com/a", "--rotation-webhook-url",
      "https://hooks.example.com/b", "--rotation-webhook-secret-file", "{key}"],
     "--rotation-webhook-url https://hooks.example.com/b is not at or below any --rotation-webhook-allow prefix"),
    (["--rotation-webhook-allow", "https://hooks.example.com/", "--rotation-webhook-secret-file", "{short}"],
     "the webhook signing key must be at least 32 bytes"),
    (["--rotation-webhook-allow", "https://hooks.example.com/", "--rotation-webhook-secret-file", "{missing}"],
     "--rotation-webhook-secret-file {missing}: "),
    (["--rotation-webhook-allow", "https://hooks.example.com/", "--rotation-webhook-secret-file", "{key}",
      "--rotation-webhook-ca-file", "{short}"],
     "--rotation-webhook-ca-file {short}: holds no PEM certificate"),
])
def test_bad_webhook_flags_stop_the_server_with_a_clear_message(tmp_path, key_file, args, message):
    short = tmp_path / "short.key"
    short.write_bytes(b"too short\n")
    names = {"key": str(key_file), "short": str(short), "missing": str(tmp_path / "missing.key")}
    args = [a.format(**names) for a in args]
    s = Server(*args, data_dir=tmp_path / "data")
    with pytest.raises(RuntimeError, match="exited early with 1"):
        s.start()
    s.stop()
    logs = s.logs()
    assert message.format(**names) in logs, logs
    assert KEY.decode() not in logs


def test_good_webhook_flags_start_the_server(tmp_path, key_file):
    # Production form: https only, the operator's CA besides the system's, a default URL.
    s = Server("--rotation-webhook-allow", "https://hooks.example.com/rotate/",
               "--rotation-webhook-allow", "https://other.example.com:8443",
               "--rotation-webhook-url", "https://hooks.example.com/rotate/default",
               "--rotation-webhook-secret-file", str(key_file),
               "--rotation-webhook-ca-file", str(TEST_CA),
               data_dir=tmp_path / "prod").start()
    try:
        assert s.alive()
    finally:
        assert s.stop() == 0
    logs = s.logs()
    assert "the webhook rotator is offered" in logs, logs
    assert KEY.decode() not in logs
    # The environment form (comma-separated), and plain HTTP to loopback in --dev.
    s = Server("--dev", data_dir=tmp_path / "dev", env={
        "IAMD_ROTATION_WEBHOOK_ALLOW": "http://127.0.0.1:9/a,http://localhost:9/b",
        "IAMD_ROTATION_WEBHOOK_SECRET_FILE": str(key_file),
    }).start()
    try:
        assert s.alive()
    finally:
        assert s.stop() == 0
    # Without any of the flags the server starts as before, with no webhook rotator.
    s = Server("--dev", data_dir=tmp_path / "none").start()
    try:
        assert s.alive()
    finally:
        assert s.stop() == 0
    assert "the webhook rotator is offered" not in s.logs()


# --- rotation -----------------------------------------------------------------------------------

def test_rotate_secret_through_the_webhook(tmp_path, receiver, key_file):
    s = webhook_server(tmp_path, receiver, key_file)
    try:
        sm = s.client("secretsmanager")
        created = sm.create_secret(Name="app/webhook", SecretString="first-value",
                                   Tags=[{"Key": TAG, "Value": f"{receiver.url}/rotate/app"}])
        arn = created["ARN"]
        r = rotate_or_skip(sm, SecretId="app/webhook", RotationLambdaARN=lambda_arn(s),
                           RotationRules={"AutomaticallyAfterDays": 30})
        assert not isinstance(r, Exception), r
        token = r["VersionId"]
        assert wait_for(lambda: sm.get_secret_value(SecretId=arn)["SecretString"]
                        == "rotated-by-the-receiver-Zq9"), (receiver.requests, s.logs())
        assert receiver.steps() == ["createSecret", "setSecret", "testSecret"], receiver.requests
        for req in receiver.requests:
            assert req["signed"], req
            assert req["path"] == "/rotate/app"
            assert req["content_type"] == "application/json"
            assert req["event"]["SecretId"] == arn
            assert req["event"]["ClientRequestToken"] == token
        assert "PendingSecretString" not in receiver.requests[0]["event"]
        for req in receiver.requests[1:]:
            assert req["event"]["PendingSecretString"] == "rotated-by-the-receiver-Zq9"
        current = sm.get_secret_value(SecretId=arn)
        assert current["VersionId"] == token
        previous = sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")
        assert previous["SecretString"] == "first-value"
        d = sm.describe_secret(SecretId=arn)
        assert d["RotationEnabled"] is True
        assert d["RotationLambdaARN"] == lambda_arn(s)
        assert "rotated-by-the-receiver-Zq9" not in s.logs()
    finally:
        assert s.stop() == 0


def test_a_failing_step_leaves_the_secret_usable_and_the_value_unlogged(tmp_path, key_file):
    receiver = Receiver(new_value="never-to-be-current-Xy7", fail_step="testSecret")
    s = webhook_server(tmp_path, receiver, key_file)
    try:
        sm = s.client("secretsmanager")
        sm.create_secret(Name="app/failing", SecretString="stays-current",
                         Tags=[{"Key": TAG, "Value": f"{receiver.url}/rotate"}])
        rotate_or_skip(sm, SecretId="app/failing", RotationLambdaARN=lambda_arn(s),
                       RotationRules={"AutomaticallyAfterDays": 30})
        assert wait_for(lambda: "testSecret" in receiver.steps()), (receiver.requests, s.logs())
        time.sleep(0.5)
        assert sm.get_secret_value(SecretId="app/failing")["SecretString"] == "stays-current"
        assert any("AWSPENDING" in v for v in stages(sm, "app/failing").values())
        assert "never-to-be-current-Xy7" not in s.logs()
        assert "the receiver refused" not in s.logs()
    finally:
        assert s.stop() == 0
        receiver.close()


def test_an_endpoint_off_the_allow_list_is_never_called(tmp_path, receiver, key_file):
    outsider = Receiver(new_value="from-the-outsider")
    s = webhook_server(tmp_path, receiver, key_file)
    try:
        sm = s.client("secretsmanager")
        # Another port on 127.0.0.1, and a path beside the allowed prefix.
        for name, url in [("app/outsider", f"{outsider.url}/rotate"),
                          ("app/beside", f"{receiver.url}/rotatex")]:
            sm.create_secret(Name=name, SecretString="kept", Tags=[{"Key": TAG, "Value": url}])
            rotate_or_skip(sm, SecretId=name, RotationLambdaARN=lambda_arn(s),
                           RotationRules={"AutomaticallyAfterDays": 30})
        time.sleep(2)
        assert outsider.requests == []
        assert receiver.requests == []
        for name in ("app/outsider", "app/beside"):
            assert sm.get_secret_value(SecretId=name)["SecretString"] == "kept"
    finally:
        assert s.stop() == 0
        outsider.close()
