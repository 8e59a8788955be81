"""Metrics and logs (issue 19, item 4): Prometheus text at `/metrics` on `--metrics-listen` and at
`/_iamd/metrics` in dev mode only, read with the `prometheus_client` parser; counters move with
requests; nothing a request sends becomes a label; no secret reaches metrics or logs; JSON logs
are one flat object per line; text logs carry no colour when not written to a terminal."""

import json
import os
import secrets
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import awsraw
from conftest import PG, Server, free_port, stop_nodes

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def scrape(url):
    """{(sample name, frozenset of labels): value} of a metrics page, read by prometheus_client."""
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == CONTENT_TYPE
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests_of(samples, service, operation, outcome):
    return value(samples, "iamd_requests_total", service=service, operation=operation, outcome=outcome)


@pytest.fixture
def metrics_server():
    """A dev server with a metrics listener of its own."""
    port = free_port()
    s = Server("--dev", "--metrics-listen", f"127.0.0.1:{port}").start()
    s.metrics_url = f"http://127.0.0.1:{port}/metrics"
    yield s
    assert s.stop() == 0, s.logs()
    s.cleanup()


def test_the_metrics_listener_serves_parseable_text_whose_counters_move_with_requests(metrics_server):
    s = metrics_server
    before = scrape(s.metrics_url)
    sts = s.client("sts")
    for _ in range(3):
        sts.get_caller_identity()
    bad = s.client("sts", secret="wrong")
    with pytest.raises(Exception):
        bad.get_caller_identity()
    after = scrape(s.metrics_url)

    gci = ("sts", "GetCallerIdentity")
    assert requests_of(after, *gci, "ok") - requests_of(before, *gci, "ok") == 3
    assert (value(after, "iamd_request_duration_seconds_count", service="sts", operation="GetCallerIdentity")
            - value(before, "iamd_request_duration_seconds_count", service="sts",
                    operation="GetCallerIdentity")) == 3
    # The histogram is cumulative and ends in +Inf = count.
    assert value(after, "iamd_request_duration_seconds_bucket", service="sts", operation="GetCallerIdentity",
                 le="+Inf") == value(after, "iamd_request_duration_seconds_count", service="sts",
                                     operation="GetCallerIdentity")
    # A bad signature: counted under the operation "none" (it was never decoded) and by reason.
    assert requests_of(after, "sts", "none", "client_error") - requests_of(before, "sts", "none", "client_error") == 1
    assert (value(after, "iamd_authentication_failures_total", reason="signature_mismatch")
            - value(before, "iamd_authentication_failures_total", reason="signature_mismatch")) == 1
    assert value(after, "iamd_build_info", version=_version(after), store="sqlite", dev="true") == 1
    # The signing-key cache saw the verified key.
    assert value(after, "iamd_cache_entries", cache="signing_keys") >= 1
    assert value(after, "iamd_cache_lookups_total", cache="signing_keys", result="hit") >= 2

    # A request for a service iamd does not serve is counted without its (caller-chosen) name.
    ssm = s.client("ssm")
    with pytest.raises(Exception):
        ssm.describe_parameters()
    unserved = scrape(s.metrics_url)
    assert (value(unserved, "iamd_unserved_service_requests_total")
            - value(after, "iamd_unserved_service_requests_total")) == 1
    assert not any("ssm" in str(labels) for (_, labels) in unserved)

    # The metrics listener serves nothing else, and the API port's dev page is the same data.
    assert requests.get(s.metrics_url.replace("/metrics", "/"), timeout=5).status_code == 404
    assert requests.post(s.metrics_url.replace("/metrics", "/"), data="Action=GetCallerIdentity",
                         timeout=5).status_code == 404
    dev_page = scrape(f"{s.url}/_iamd/metrics")
    assert requests_of(dev_page, *gci, "ok") >= requests_of(after, *gci, "ok")


def _version(samples):
    return next(dict(labels)["version"] for (name, labels) in samples if name == "iamd_build_info")


def test_dev_metrics_count_authorization_sessions_and_store_transactions(dev):
    page = f"{dev.url}/_iamd/metrics"
    iam = dev.client("iam")
    iam.create_user(UserName="metrics-alice")
    iam.put_user_policy(UserName="metrics-alice", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
                      {"Effect": "Deny", "Action": "iam:ListGroups", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="metrics-alice")["AccessKey"]
    alice = dev.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    before = scrape(page)

    alice.list_users()
    for call in (alice.list_groups, alice.list_roles):
        with pytest.raises(Exception):
            call()
    creds = dev.client("sts").get_session_token()["Credentials"]
    dev.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
               token=creds["SessionToken"]).get_caller_identity()
    iam.create_user(UserName="metrics-bob")
    after = scrape(page)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("iamd_authorization_decisions_total", result="allow", explicit="true") >= 1
    assert moved("iamd_authorization_decisions_total", result="deny", explicit="true") >= 1
    assert moved("iamd_authorization_decisions_total", result="deny", explicit="false") >= 1
    assert moved("iamd_requests_total", service="iam", operation="ListUsers", outcome="ok") == 1
    assert moved("iamd_requests_total", service="iam", operation="ListGroups", outcome="client_error") == 1
    assert moved("iamd_sessions_issued_total", kind="root") == 1
    assert moved("iamd_cache_lookups_total", cache="session_tokens", result="miss") \
        + moved("iamd_cache_lookups_total", cache="session_tokens", result="hit") >= 1
    assert moved("iamd_store_transactions_total", kind="write", result="ok") >= 1
    assert moved("iamd_store_transaction_duration_seconds_count", kind="write") >= 1
    assert value(after, "iamd_cache_capacity", cache="caller_views") > 0


def test_without_dev_the_api_port_has_no_metrics_page():
    port = free_port()
    s = Server("--metrics-listen", f"127.0.0.1:{port}").start()
    try:
        r = requests.get(f"{s.url}/_iamd/metrics", timeout=5)
        assert r.status_code == 404, r.text
        assert "iamd_" not in r.text
        samples = scrape(f"http://127.0.0.1:{port}/metrics")
        assert value(samples, "iamd_build_info", version=_version(samples), store="sqlite", dev="false") == 1
    finally:
        assert s.stop() == 0, s.logs()
        s.cleanup()


def test_metrics_are_off_unless_asked_for(dev_server):
    # The dev server of the session was started without --metrics-listen: it listens on its API
    # port only, and its log says the metrics are off.
    assert '"metrics":"off"' in dev_server.logs() or "metrics=off" in dev_server.logs()


def test_nothing_a_request_sends_becomes_a_label(dev):
    page = f"{dev.url}/_iamd/metrics"
    marker = "Evil" + secrets.token_hex(4)
    # Unknown actions, targets and services, signed and unsigned, and a body too large.
    awsraw.query(dev.url, "iam", f"Action={marker}&Version=2010-05-08")
    awsraw.query(dev.url, "sts", f"Action={marker}&Version=2011-06-15", secret="nope")
    awsraw.sm(dev.url, marker, b"{}")
    awsraw.send(dev.url, marker.lower(), b"Action=GetCallerIdentity&Version=2011-06-15",
                {"Content-Type": awsraw.QUERY_CT})
    requests.post(dev.url, data=f"Action={marker}&Version=2011-06-15",
                  headers={"Content-Type": awsraw.QUERY_CT, "X-Amz-Target": f"{marker}.{marker}"}, timeout=5)
    try:
        requests.post(dev.url, data=b"x" * (2 * 1024 * 1024), timeout=10)
    except requests.ConnectionError:
        pass  # the server may answer 413 and close before the whole body is sent
    text = requests.get(page, timeout=5).text
    assert marker not in text and marker.lower() not in text
    import botocore.session
    models = botocore.session.get_session()
    allowed = {svc: set(models.get_service_model(svc).operation_names) | {"none"}
               for svc in ("iam", "sts", "secretsmanager", "cloudtrail")}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if "service" in s.labels:
                assert s.labels["service"] in allowed, s
            if "operation" in s.labels:
                assert s.labels["operation"] in allowed[s.labels["service"]], s
            if "outcome" in s.labels:
                assert s.labels["outcome"] in {"ok", "client_error", "server_error"}, s


def test_no_secret_reaches_metrics_or_logs(tmp_path):
    mport = free_port()
    s = Server("--dev", "--metrics-listen", f"127.0.0.1:{mport}", "--log-format", "json",
               env={"IAMD_LOG": "debug"}).start()
    try:
        value_text = "metrics-secret-" + secrets.token_hex(8)
        sm = s.client("secretsmanager")
        sm.create_secret(Name="metrics/s", SecretString=value_text)
        assert sm.get_secret_value(SecretId="metrics/s")["SecretString"] == value_text
        iam = s.client("iam")
        iam.create_user(UserName="u")
        key = iam.create_access_key(UserName="u")["AccessKey"]
        s.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"]).get_caller_identity()
        creds = s.client("sts").get_session_token()["Credentials"]
        s.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                 token=creds["SessionToken"]).get_caller_identity()
        pages = requests.get(f"http://127.0.0.1:{mport}/metrics", timeout=5).text \
            + requests.get(f"{s.url}/_iamd/metrics", timeout=5).text
        time.sleep(0.2)
        logs = s.logs()
        assert '"operation":"GetSecretValue"' in logs, "debug logs carry one line per request"
        for secret in (value_text, key["SecretAccessKey"], creds["SecretAccessKey"],
                       creds["SessionToken"][:40]):
            assert secret not in pages
            assert secret not in logs
    finally:
        assert s.stop() == 0, s.logs()
        s.cleanup()


JSON_FIELDS = {"timestamp", "level", "message"}


def test_json_logs_are_one_flat_object_per_line():
    s = Server("--dev", "--log-format", "json", env={"IAMD_LOG": "debug"}).start()
    try:
        s.client("sts").get_caller_identity()
        time.sleep(0.2)
    finally:
        assert s.stop() == 0, s.logs()
    lines = [l for l in s.logs().splitlines() if l.strip()]
    assert lines
    events = [json.loads(l) for l in lines]
    for e in events:
        assert JSON_FIELDS <= set(e), e
        assert e["level"] in {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"}
        assert "fields" not in e and "span" not in e, "fields are flattened; no span noise"
    serving = next(e for e in events if e["message"] == "iamd is serving")
    assert {"listen", "store", "tls", "version", "metrics"} <= set(serving)
    request = next(e for e in events if e["message"] == "request")
    assert request["service"] == "sts" and request["operation"] == "GetCallerIdentity"
    assert request["status"] == 200 and isinstance(request["micros"], int)
    assert len(request["request_id"]) == 36
    s.cleanup()


def test_text_logs_have_no_colour_when_not_a_terminal():
    # The fixture's log is a file: no ANSI escape may reach it, and FORCE_COLOR-like variables do
    # not matter. (On a terminal, text logs are coloured unless NO_COLOR is set.)
    s = Server("--dev", env={"IAMD_LOG": "debug"}).start()
    try:
        s.client("sts").get_caller_identity()
        time.sleep(0.2)
    finally:
        assert s.stop() == 0, s.logs()
    logs = s.logs()
    assert "iamd is serving" in logs and "GetCallerIdentity" in logs
    assert "\x1b[" not in logs
    s.cleanup()


@pytest.mark.skipif(not PG, reason="SKIPPED: IAMD_TEST_POSTGRES_URL is not set")
def test_postgres_nodes_report_their_revision_lag(tmp_path):
    schema = f"e2e_{secrets.token_hex(6)}"
    sep = "&" if "?" in PG else "?"
    ports = [free_port(), free_port()]
    key = tmp_path / "master.key"
    key.write_bytes(os.urandom(32))
    nodes = tuple(Server("--dev", "--store", f"{PG}{sep}schema={schema}", "--master-key-file", str(key),
                         "--metrics-listen", f"127.0.0.1:{port}", data_dir=tmp_path / name).start()
                  for name, port in zip(("a", "b"), ports))
    try:
        nodes[0].client("iam").create_user(UserName="lag-check")
        deadline = time.time() + 10
        while True:
            b = scrape(f"http://127.0.0.1:{ports[1]}/metrics")
            store = value(b, "iamd_store_revision")
            applied = value(b, "iamd_node_applied_revision")
            if store > 0 and applied == store and value(b, "iamd_node_revision_lag") == 0:
                break
            assert time.time() < deadline, (store, applied)
            time.sleep(0.1)
        a = scrape(f"http://127.0.0.1:{ports[0]}/metrics")
        assert value(a, "iamd_build_info", version=_version(a), store="postgres", dev="true") == 1
        assert value(a, "iamd_store_retries_total") >= 0
        assert ("iamd_node_refresh_failures_total", frozenset()) in a
    finally:
        stop_nodes(nodes, schema)
