"""Raw signed requests, for what SDK clients will not send: garbage bodies, unknown operations,
skewed clocks, broken Authorization headers. Signing uses botocore's own SigV4 signer."""

import datetime
import threading
from unittest import mock

import botocore.auth
import botocore.credentials
import requests
from botocore.awsrequest import AWSRequest

QUERY_CT = "application/x-www-form-urlencoded; charset=utf-8"
JSON_CT = "application/x-amz-json-1.1"

# `signed` swaps botocore's clock for the duration of one signature. Two threads doing that at once
# could restore each other's patch and leave botocore's clock frozen for the rest of the session
# (every later JSON request then fails five minutes on with "Signature expired").
_CLOCK = threading.Lock()


def signed(url, service, body=b"", headers=None, key="test", secret="test", token=None,
           region="us-east-1", skew_seconds=0, method="POST", params=None):
    """Returns (url, headers, body) signed with SigV4 at now + skew_seconds."""
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}), params=params or {})
    creds = botocore.credentials.Credentials(key, secret, token)
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=skew_seconds)
    with _CLOCK, mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
    prepared = req.prepare()
    return prepared.url, dict(prepared.headers), prepared.body


def send(url, service, body=b"", headers=None, **kw):
    method = kw.pop("method", "POST")
    u, h, b = signed(url, service, body, headers, method=method, **kw)
    return requests.request(method, u, headers=h, data=b, timeout=10)


def query(url, service, form: str, **kw):
    return send(url, service, form.encode(), {"Content-Type": QUERY_CT}, **kw)


def sm(url, target, body: bytes, **kw):
    return send(url, "secretsmanager", body,
                {"Content-Type": JSON_CT, "X-Amz-Target": f"secretsmanager.{target}"}, **kw)


def xml_error(resp):
    """(Code, Message, Type) of a query-protocol ErrorResponse."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(resp.content)
    ns = {"a": root.tag.split("}")[0].strip("{")} if root.tag.startswith("{") else {}
    pre = "a:" if ns else ""
    err = root.find(f"{pre}Error", ns)
    assert err is not None, resp.text
    return (err.findtext(f"{pre}Code", namespaces=ns), err.findtext(f"{pre}Message", namespaces=ns),
            err.findtext(f"{pre}Type", namespaces=ns))
