"""Prints a wrk Lua script that replays one SigV4-signed AWS request.

A signed request stays valid for the service's clock-skew window (15 minutes for STS, 5 for
Secrets Manager), so replaying it for a short benchmark is what any client's retry would look like
to the server: every request is authenticated, decoded and authorized in full.

usage: signed_request.py URL SERVICE FORM_OR_JSON [TARGET] [KEY] [SECRET] [TOKEN]
"""

import sys

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest


def lua_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main():
    url, service, body = sys.argv[1], sys.argv[2], sys.argv[3]
    target = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
    key = sys.argv[5] if len(sys.argv) > 5 else "test"
    secret = sys.argv[6] if len(sys.argv) > 6 else "test"
    token = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None
    headers = {}
    if target:
        headers["Content-Type"] = "application/x-amz-json-1.1"
        headers["X-Amz-Target"] = target
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    req = AWSRequest(method="POST", url=url, data=body.encode(), headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret, token), service,
                            "us-east-1").add_auth(req)
    p = req.prepare()
    print('wrk.method = "POST"')
    print(f"wrk.body = {lua_str(body)}")
    for k, v in p.headers.items():
        print(f"wrk.headers[{lua_str(k)}] = {lua_str(v)}")
    # Fail loudly if any reply is not a success: a benchmark of errors measures nothing.
    print("""
response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("non-200 reply: " .. status .. " " .. body .. "\\n")
    wrk.thread:stop()
  end
end
""")


if __name__ == "__main__":
    main()
