"""The network edge (issue #11): connection limits and timeouts, TLS, and the request context keys
that come from the connection (aws:SecureTransport, aws:SourceIp, aws:UserAgent), directly and
through a trusted proxy.

The connection-layer servers are configured through environment variables (IAMD_HEADER_TIMEOUT,
…), so that a binary without those settings still starts and the tests fail on the behaviour.
Certificates are made per test with the openssl CLI (boto3 does not bring `cryptography`).
"""

import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions
import pytest
import requests

from conftest import Server, cli_error, error_of

ACCT = "000000000000"


# --- certificates ----------------------------------------------------------------------------------

def openssl(*args):
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def make_ca(d: Path, name: str):
    key, crt = d / f"{name}.key", d / f"{name}.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", crt, "-days", "2", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return crt, key


def make_leaf(d: Path, name: str, ca, sans="IP:127.0.0.1,DNS:localhost"):
    """A server certificate for 127.0.0.1 signed by `ca` (cert, key)."""
    key, csr, crt, ext = (d / f"{name}.key", d / f"{name}.csr", d / f"{name}.pem",
                          d / f"{name}.ext")
    ext.write_text(f"subjectAltName={sans}\nbasicConstraints=CA:FALSE\n"
                   "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-set_serial",
            str(int.from_bytes(os.urandom(8), "big")), "-out", crt, "-days", "2", "-extfile", ext)
    return crt, key


def der_of(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


def peer_cert(port: int, ca: Path) -> bytes:
    """The certificate a fresh TLS connection to the server is shown (verified against `ca`)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert(binary_form=True)


class TlsServer(Server):
    """`iamd serve --tls-cert --tls-key`, health-checked over HTTPS against the test CA."""

    def __init__(self, ca: Path, cert: Path, key: Path, *extra, **kw):
        super().__init__("--tls-cert", str(cert), "--tls-key", str(key), *extra, **kw)
        self.url = self.url.replace("http://", "https://")
        self.ca = ca

    def start(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"iamd exited early with {self.proc.returncode}:\n{self.logs()}")
            try:
                if requests.get(f"{self.url}/_iamd/health", timeout=1,
                                verify=str(self.ca)).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"iamd did not become healthy:\n{self.logs()}")

    def alive(self) -> bool:
        return self.proc.poll() is None and requests.get(
            f"{self.url}/_iamd/health", timeout=5, verify=str(self.ca)).status_code == 200

    def client(self, service, key="test", secret="test", region="us-east-1"):
        return boto3.client(service, endpoint_url=self.url, region_name=region,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            verify=str(self.ca),
                            config=botocore.config.Config(retries={"max_attempts": 1}))

    def cli(self, *args, **kw):
        return super().cli("--ca-bundle", str(self.ca), *args, **kw)


def client_with(server, service, verify=None, headers=None, **kw):
    """A boto3 client for `server` that adds `headers` after signing, as a proxy would."""
    c = boto3.client(service, endpoint_url=server.url, region_name="us-east-1",
                     verify=verify, config=botocore.config.Config(retries={"max_attempts": 1}),
                     **kw)
    if headers:
        def add(request, **_):
            for k, v in headers.items():
                request.headers[k] = v
            # None: the request goes on to be sent.
        c.meta.events.register("before-send", add)
    return c


@pytest.fixture
def stopped():
    """Servers to stop (each must exit 0) at teardown."""
    servers = []
    yield servers
    for s in servers:
        code = s.stop()
        s.cleanup()
        assert code == 0, f"iamd did not shut down cleanly (exit {code}):\n{s.logs()}"


def start(stopped, server):
    stopped.append(server)
    return server.start()


# --- policies --------------------------------------------------------------------------------------

LIST = {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


# The pattern AWS documents for "HTTPS only".
SECURE_ONLY = doc(LIST, {"Effect": "Deny", "Action": "*", "Resource": "*",
                         "Condition": {"Bool": {"aws:SecureTransport": "false"}}})


def allow_from(cidr):
    return doc({**LIST, "Condition": {"IpAddress": {"aws:SourceIp": cidr}}})


# AWS's documented "deny all requests from outside these networks".
DENY_OUTSIDE_127 = doc(LIST, {"Effect": "Deny", "Action": "*", "Resource": "*",
                              "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}})

BOTO3_ONLY = doc({**LIST, "Condition": {"StringLike": {"aws:UserAgent": "Boto3/*"}}})


def make_users(server, **policies):
    """IAM users named after `policies`' keys, each with its inline policy; their keys."""
    iam = server.client("iam")
    keys = {}
    for name, policy in policies.items():
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        k = iam.create_access_key(UserName=name)["AccessKey"]
        keys[name] = dict(aws_access_key_id=k["AccessKeyId"],
                          aws_secret_access_key=k["SecretAccessKey"])
    return keys


def allowed(client) -> bool:
    try:
        client.list_users()
        return True
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == "AccessDenied", err
        assert "iam:ListUsers" in err["Message"], err
        return False


# --- TLS and aws:SecureTransport -------------------------------------------------------------------

@pytest.fixture
def pki(tmp_path):
    ca = make_ca(tmp_path, "test-ca")
    leaf = make_leaf(tmp_path, "server", ca)
    return tmp_path, ca, leaf


def test_secure_transport_is_true_over_tls_and_false_over_http(pki, stopped):
    d, ca, (cert, key) = pki
    tls = start(stopped, TlsServer(ca[0], cert, key, "--dev", data_dir=d / "tls"))
    plain = start(stopped, Server("--dev", data_dir=d / "plain"))
    for s in (tls, plain):
        s.keys = make_users(s, secure=SECURE_ONLY)["secure"]

    # boto3 over TLS, verifying the server against the test CA: allowed.
    assert allowed(client_with(tls, "iam", verify=str(ca[0]), **tls.keys))
    # The same policy over plain HTTP: the explicit deny applies.
    status, code, msg = error_of(client_with(plain, "iam", **plain.keys).list_users)
    assert (status, code) == (403, "AccessDenied")
    assert msg.startswith(f"User: arn:aws:iam::{ACCT}:user/secure is not authorized to perform: "
                          "iam:ListUsers"), msg
    assert msg.endswith("with an explicit deny in an identity-based policy"), msg

    # The aws CLI with --ca-bundle: allowed over TLS, denied over HTTP.
    kw = dict(key=tls.keys["aws_access_key_id"], secret=tls.keys["aws_secret_access_key"])
    assert json.loads(tls.cli("iam", "list-users", **kw).stdout)["Users"]
    kw = dict(key=plain.keys["aws_access_key_id"], secret=plain.keys["aws_secret_access_key"])
    code, _ = cli_error(plain.cli("iam", "list-users", check=False, **kw))
    assert code == "AccessDenied"

    # A client that does not trust the test CA is refused by its own TLS check.
    with pytest.raises(botocore.exceptions.SSLError):
        client_with(tls, "iam", verify=True, **tls.keys).list_users()


def test_tls_versions(pki, stopped):
    d, ca, (cert, key) = pki
    tls = start(stopped, TlsServer(ca[0], cert, key, "--dev", data_dir=d / "tls"))
    ctx = ssl.create_default_context(cafile=str(ca[0]))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", tls.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.version() == "TLSv1.2"
    ctx = ssl.create_default_context(cafile=str(ca[0]))
    with socket.create_connection(("127.0.0.1", tls.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.version() == "TLSv1.3"
            assert s.selected_alpn_protocol() in (None, "http/1.1")
    # Plain HTTP to the TLS port gets no HTTP answer.
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls.port}/_iamd/health", timeout=5)


def test_certificate_reload_on_sighup_and_on_change(pki, stopped):
    d, ca, (cert, key) = pki
    # The server reads its own copies, which the test replaces.
    live_cert, live_key = d / "live.pem", d / "live.key"
    live_cert.write_bytes(cert.read_bytes())
    live_key.write_bytes(key.read_bytes())
    tls = start(stopped, TlsServer(ca[0], live_cert, live_key, "--dev", data_dir=d / "tls"))
    assert peer_cert(tls.port, ca[0]) == der_of(cert)

    # A client on a kept-alive connection across the reload.
    keep = requests.Session()
    assert keep.get(f"{tls.url}/_iamd/health", verify=str(ca[0]), timeout=5).status_code == 200

    # SIGHUP: the next connection sees the new certificate, with the listener never dropped.
    second = make_leaf(d, "second", ca)
    live_cert.write_bytes(second[0].read_bytes())
    live_key.write_bytes(second[1].read_bytes())
    tls.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while peer_cert(tls.port, ca[0]) != der_of(second[0]):
        assert time.time() < deadline, tls.logs()
        time.sleep(0.1)
    assert keep.get(f"{tls.url}/_iamd/health", verify=str(ca[0]), timeout=5).status_code == 200

    # A broken replacement is refused and the current certificate stays.
    live_cert.write_text("not a certificate\n")
    tls.proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    assert tls.proc.poll() is None
    assert peer_cert(tls.port, ca[0]) == der_of(second[0])
    assert "TLS certificate not reloaded" in tls.logs()

    # No signal: a change of the files is noticed by itself (polled every 2 s).
    third = make_leaf(d, "third", ca)
    live_key.write_bytes(third[1].read_bytes())
    live_cert.write_bytes(third[0].read_bytes())
    deadline = time.time() + 10
    while peer_cert(tls.port, ca[0]) != der_of(third[0]):
        assert time.time() < deadline, tls.logs()
        time.sleep(0.2)
    assert tls.alive()


def test_tls_start_refuses_a_key_that_is_not_the_certificates(pki, tmp_path):
    d, ca, (cert, _key) = pki
    other = make_leaf(d, "other", ca)
    s = TlsServer(ca[0], cert, other[1], "--dev", data_dir=d / "bad")
    with pytest.raises(RuntimeError, match="does not belong to the certificate"):
        s.start()
    s.stop()
    s.cleanup()


# --- aws:SourceIp, aws:UserAgent, trusted proxies --------------------------------------------------

NETWORK_POLICIES = dict(net127=allow_from("127.0.0.0/8"), net10=allow_from("10.0.0.0/8"),
                        inside127=DENY_OUTSIDE_127, secure=SECURE_ONLY, boto3only=BOTO3_ONLY)


def test_source_ip_is_the_peer(dev):
    keys = make_users(dev, **NETWORK_POLICIES)
    assert allowed(client_with(dev, "iam", **keys["net127"]))
    assert not allowed(client_with(dev, "iam", **keys["net10"]))
    # "Deny unless from 127.0.0.0/8" no longer denies everybody.
    assert allowed(client_with(dev, "iam", **keys["inside127"]))
    # Forwarding headers from a peer that is not a trusted proxy change nothing.
    fwd = {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}
    assert allowed(client_with(dev, "iam", headers=fwd, **keys["net127"]))
    assert not allowed(client_with(dev, "iam", headers=fwd, **keys["net10"]))
    assert allowed(client_with(dev, "iam", headers=fwd, **keys["inside127"]))
    assert not allowed(client_with(dev, "iam", headers=fwd, **keys["secure"]))


def test_user_agent(dev):
    keys = make_users(dev, boto3only=BOTO3_ONLY)
    assert allowed(client_with(dev, "iam", **keys["boto3only"]))
    proc = dev.cli("iam", "list-users", check=False, key=keys["boto3only"]["aws_access_key_id"],
                   secret=keys["boto3only"]["aws_secret_access_key"])
    assert cli_error(proc)[0] == "AccessDenied"


@pytest.mark.parametrize("trusted", ["127.0.0.1/32", "192.0.2.0/24"])
def test_forwarded_headers_only_from_a_trusted_proxy(trusted, stopped, tmp_path):
    # `--trusted-proxy` holds the test's own address (127.0.0.1) or not.
    s = start(stopped, Server("--dev", "--trusted-proxy", trusted, data_dir=tmp_path / "s"))
    keys = make_users(s, **NETWORK_POLICIES)
    via_proxy = trusted.startswith("127.")
    fwd = {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}
    # The CIDR policies see 10.1.2.3 through the trusted proxy, 127.0.0.1 otherwise.
    assert allowed(client_with(s, "iam", headers=fwd, **keys["net10"])) == via_proxy
    assert allowed(client_with(s, "iam", headers=fwd, **keys["net127"])) != via_proxy
    assert allowed(client_with(s, "iam", headers=fwd, **keys["inside127"])) != via_proxy
    # The proxy terminated TLS: aws:SecureTransport is true through it only.
    assert allowed(client_with(s, "iam", headers=fwd, **keys["secure"])) == via_proxy
    # A client's own X-Forwarded-For entry, to the left of what the proxy appended, is not
    # believed: the proxy saw 127.0.0.5.
    spoof = {"X-Forwarded-For": "10.1.2.3, 127.0.0.5"}
    assert allowed(client_with(s, "iam", headers=spoof, **keys["net127"]))
    # Without the headers, the peer itself.
    assert allowed(client_with(s, "iam", **keys["net127"]))
    assert not allowed(client_with(s, "iam", **keys["secure"]))
    # The forwarding headers are not signed (a proxy adds them after signing) and need not be.
    assert allowed(client_with(s, "iam", headers={"X-Forwarded-For": "127.0.0.9"},
                               **keys["inside127"]))


def test_trusted_proxy_through_the_aws_cli_env(stopped, tmp_path):
    """IAMD_TRUSTED_PROXY takes a comma-separated list."""
    s = start(stopped, Server("--dev", data_dir=tmp_path / "s",
                              env={"IAMD_TRUSTED_PROXY": "192.0.2.1,127.0.0.0/8"}))
    keys = make_users(s, net10=allow_from("10.0.0.0/8"))
    assert allowed(client_with(s, "iam", headers={"X-Forwarded-For": "10.9.8.7"},
                               **keys["net10"]))


def test_bad_trusted_proxy_is_refused_at_start(tmp_path):
    s = Server("--dev", "--trusted-proxy", "10.0.0.0/33", data_dir=tmp_path / "s")
    with pytest.raises(RuntimeError, match="trusted-proxy"):
        s.start()
    s.stop()
    s.cleanup()


# --- connection limits and timeouts ----------------------------------------------------------------

def closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float:
    """Seconds until the server closed `sock` (sending `trickle` one byte every 0.2 s
    meanwhile); fails if it is still open after `seconds`."""
    started = time.time()
    sock.settimeout(0.2)
    i = 0
    while time.time() - started < seconds:
        try:
            if trickle:
                sock.sendall(trickle[i % len(trickle):i % len(trickle) + 1])
                i += 1
            data = sock.recv(4096)
            if data == b"":
                return time.time() - started
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.time() - started
    raise AssertionError(f"the server kept the connection open for {seconds} s")


def edge_server(tmp_path, **env):
    return Server("--dev", data_dir=tmp_path / "s",
                  env={f"IAMD_{k.upper()}": str(v) for k, v in env.items()})


def test_slowloris_is_closed_after_the_header_timeout(stopped, tmp_path):
    s = start(stopped, edge_server(tmp_path, header_timeout="1s"))
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    # One header byte every 0.2 s never completes the head: closed after about a second.
    took = closed_within(sock, 6, trickle=b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert 0.8 <= took <= 3, took
    # A connection that sends nothing at all is closed too.
    took = closed_within(socket.create_connection(("127.0.0.1", s.port)), 6)
    assert 0.8 <= took <= 3, took
    assert s.alive()


def test_partial_body_is_timed_out(stopped, tmp_path):
    s = start(stopped, edge_server(tmp_path, body_timeout="1s"))
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: 100\r\n\r\nAction=GetCa")
    took = closed_within(sock, 6)
    assert 0.8 <= took <= 3, took
    assert s.alive()


def test_idle_keep_alive_connection_is_closed(stopped, tmp_path):
    s = start(stopped, edge_server(tmp_path, idle_timeout="1s", header_timeout="30s"))
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(b"GET /_iamd/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    sock.settimeout(5)
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    took = closed_within(sock, 6)
    assert 0.8 <= took <= 3, took


def test_idle_and_partial_flood_does_not_lock_out_clients(stopped, tmp_path):
    """Finding 7: more idle and half-sent connections than the server can hold. The server runs
    with 256 file descriptors (so that such a flood is cheap to make here) and long timeouts, so
    only the connection limit can keep a well-behaved client in."""
    s = edge_server(tmp_path, max_connections=64, header_timeout="60s", idle_timeout="60s",
                    body_timeout="60s")
    s.args = ["prlimit", "--nofile=256", "--", *s.args]
    start(stopped, s)
    stop = threading.Event()
    opened = [0]
    partial_head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: secretsmanager."
    partial_body = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"a\":")

    def flood():
        socks = []
        while not stop.is_set():
            # Keep 400 connections open, replacing those the server closed.
            alive = []
            for sk in socks:
                try:
                    sk.setblocking(False)
                    if sk.recv(1) == b"":
                        sk.close()
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    sk.close()
                    continue
                alive.append(sk)
            socks = alive
            while len(socks) < 400 and not stop.is_set():
                try:
                    sk = socket.create_connection(("127.0.0.1", s.port), timeout=2)
                except OSError:
                    break
                kind = opened[0] % 3
                if kind == 1:
                    sk.sendall(partial_head)
                elif kind == 2:
                    sk.sendall(partial_body)
                socks.append(sk)
                opened[0] += 1
            time.sleep(0.05)
        for sk in socks:
            sk.close()

    t = threading.Thread(target=flood, daemon=True)
    t.start()
    try:
        deadline = time.time() + 10
        while opened[0] < 400 and time.time() < deadline:
            time.sleep(0.1)
        # (Without a limit the server stops accepting near its descriptor limit, and the
        # kernel's backlog takes a hundred more.)
        assert opened[0] >= 300, opened[0]
        # A well-behaved client (standard retries, as SDKs have by default) gets every answer.
        c = boto3.client("sts", endpoint_url=s.url, region_name="us-east-1",
                         aws_access_key_id="test", aws_secret_access_key="test",
                         config=botocore.config.Config(retries={"mode": "standard"},
                                                       connect_timeout=5, read_timeout=5))
        for _ in range(20):
            assert c.get_caller_identity()["Account"] == ACCT
        sm = boto3.client("secretsmanager", endpoint_url=s.url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=botocore.config.Config(retries={"mode": "standard"},
                                                        connect_timeout=5, read_timeout=5))
        sm.create_secret(Name="flood", SecretString="v")
        assert sm.get_secret_value(SecretId="flood")["SecretString"] == "v"
        assert opened[0] > 400, "the server closed none of the flood's connections"
    finally:
        stop.set()
        t.join(timeout=10)
    assert s.alive()
