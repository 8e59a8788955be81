"""Issue 11, finding 3: one read-only caller must not exhaust memory or stall the server.

Several of the largest simulations the model and the 1 MiB body limit allow run at once — an
actions × resources grid of ~100 million results and policies of wildcard-heavy `*???…b`
patterns — while `/_iamd/health` is polled. Health keeps answering promptly, and every
simulation answers either its page of results or the budget error, never a 5xx nor a dropped
connection. The server runs under a 4 GiB address-space limit, as in the finding.

On c3bb0de (before the fix) the grid request built every result before paging, on an async
worker: health stopped answering and the process died under the limit. The budget error is
AWS's InvalidInput (400), one of the two errors the API reference lists for SimulateCustomPolicy
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html: InvalidInput
400, PolicyEvaluation 500); the request is the caller's to change, so not the 500.
"""

import json
import threading
import time
import urllib.parse

import requests

from awsraw import QUERY_CT, signed
from conftest import Server

MAX_BODY = 1024 * 1024
HEALTH_WITHIN = 1.0  # seconds; generous: a free server answers in about a millisecond


def form(pairs):
    return urllib.parse.urlencode(pairs)


def members(name, values):
    return [(f"{name}.member.{i + 1}", v) for i, v in enumerate(values)]


def grid_request():
    """As many actions and resources as fit in one body: ~100 million results on one request."""
    head = [("Action", "SimulateCustomPolicy"), ("Version", "2010-05-08")]
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b*/*"}]})
    pairs = head + members("PolicyInputList", [doc])
    n = 1
    while len(form(pairs + members("ActionNames", [f"s3:GetObject{i}" for i in range(n * 2)])
                   + members("ResourceArns", [f"arn:aws:s3:::b{i}/k" for i in range(n * 2)]))) < MAX_BODY:
        n *= 2
    lo, hi = n, n * 2
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        body = form(pairs + members("ActionNames", [f"s3:GetObject{i}" for i in range(mid)])
                    + members("ResourceArns", [f"arn:aws:s3:::b{i}/k" for i in range(mid)]))
        lo, hi = (mid, hi) if len(body) <= MAX_BODY else (lo, mid)
    return form(pairs + members("ActionNames", [f"s3:GetObject{i}" for i in range(lo)])
                + members("ResourceArns", [f"arn:aws:s3:::b{i}/k" for i in range(lo)])), lo * lo


def wildcard_request():
    """Policies of `*???…b` patterns and wide wildcard conditions, as many as fit, against
    long resource ARNs and a context key of many values."""
    st = {"Effect": "Allow", "Action": ["s3:*", "*"],
          "Resource": ["arn:aws:s3:::*" + "?" * 1500 + "b", "arn:aws:s3:*:*:*" + "?" * 500 + "b"],
          "Condition": {"ForAnyValue:StringLike": {"test:key": [f"*{i}?*?x" for i in range(200)]}}}
    text = json.dumps(st, separators=(",", ":"))
    n = (131072 - 40) // (len(text) + 1)
    doc = '{"Version":"2012-10-17","Statement":[' + ",".join([text] * n) + "]}"
    pairs = [("Action", "SimulateCustomPolicy"), ("Version", "2010-05-08"), ("MaxItems", "1000")]
    pairs += members("ActionNames", [f"s3:GetObject{i}" for i in range(40)])
    pairs += members("ResourceArns", ["arn:aws:s3:::" + "a" * 2000 + str(i) for i in range(25)])
    p = "ContextEntries.member.1"
    pairs += [(f"{p}.ContextKeyName", "test:key"), (f"{p}.ContextKeyType", "stringList")]
    pairs += members(f"{p}.ContextKeyValues", [f"v{i}" for i in range(2000)])
    docs = []
    while len(form(pairs + members("PolicyInputList", docs + [doc]))) <= MAX_BODY:
        docs.append(doc)
    assert docs, "one wildcard policy must fit in the body"
    return form(pairs + members("PolicyInputList", docs))


def test_concurrent_huge_simulations_leave_health_answering_and_answer_4xx_or_results(tmp_path):
    server = Server("--dev", data_dir=tmp_path / "data")
    (tmp_path / "data").mkdir()
    # the finding's setting: a 4 GiB address-space limit
    server.args = ["prlimit", f"--as={4 << 30}", "--", *server.args]
    server.start()
    try:
        grid, results = grid_request()
        assert results > 50_000_000
        wild = wildcard_request()
        bodies = [grid, wild, grid, wild]
        answers = [None] * len(bodies)

        def simulate(i):
            try:
                u, h, b = signed(server.url, "iam", bodies[i].encode(),
                                 {"Content-Type": QUERY_CT}, key="111111111111")
                # generous: a debug build on a shared machine
                r = requests.post(u, headers=h, data=b, timeout=120)
                answers[i] = (r.status_code, r.text[:300])
            except requests.RequestException as e:  # a dropped connection, a timeout
                answers[i] = (None, repr(e))

        workers = [threading.Thread(target=simulate, args=(i,)) for i in range(len(bodies))]
        started = time.monotonic()
        for w in workers:
            w.start()
        slow = []
        while any(w.is_alive() for w in workers) and time.monotonic() - started < 120:
            t = time.monotonic()
            try:
                ok = requests.get(f"{server.url}/_iamd/health", timeout=HEALTH_WITHIN).status_code == 200
            except requests.RequestException:
                ok = False
            took = time.monotonic() - t
            if not ok or took > HEALTH_WITHIN:
                slow.append((round(t - started, 2), round(took, 2), ok))
            time.sleep(0.1)
        for w in workers:
            w.join(timeout=60)

        assert not slow, f"/_iamd/health stalled or failed while simulations ran: {slow[:10]}"
        for (status, text), body in zip(answers, bodies):
            kind = "grid" if body is grid else "wildcard"
            assert status is not None, f"{kind}: no answer ({text})\n{server.logs()[-2000:]}"
            assert status < 500, f"{kind}: {status} {text}"
            if status != 200:
                assert (status, "<Code>InvalidInput</Code>" in text) == (400, True), text
        # the grid is answered a page, not refused: paging makes it cheap
        assert answers[0][0] == 200, answers[0]
        # the wildcard-heavy policies reach the budget
        assert answers[1][0] == 400 and "too large" in answers[1][1], answers[1]
        assert server.alive()
    finally:
        code = server.stop()
        server.cleanup()
    assert code == 0, f"iamd did not shut down cleanly (exit {code}):\n{server.logs()[-3000:]}"
