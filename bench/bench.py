"""Load benchmarks: iamd beside moto's server, in one run, on this machine.

Scenarios (each against both servers, with wrk replaying a signed request, or, for CreateUser,
a threaded boto3 client because every request must carry a new name):
  gci   STS GetCallerIdentity, authenticated
  gsv   Secrets Manager GetSecretValue by an IAM user whose policy allows it: authenticated,
        authorized by the policy engine, decrypted
  list  IAM ListUsers (MaxItems 100) in an account holding 10,000 users
  cu    IAM CreateUser throughput (every write committed durably before the reply)
  ar    STS AssumeRole by an IAM user (identity policy + trust policy), then GetCallerIdentity
        signed with the session credentials of one of the sessions just issued

usage: python bench/bench.py --iamd URL [--moto URL] [--duration 10] [--connections 16]
       [--scenarios gci,gsv,list,cu]
Prints a Markdown table; bench/run.sh starts both servers and calls this; bench/edge.sh runs
iamd alone over HTTP and HTTPS (boto3 trusts the test CA through AWS_CA_BUNDLE; wrk does not
verify certificates).
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config

HERE = os.path.dirname(os.path.abspath(__file__))


def client(url, service, key="test", secret="test", region="us-east-1"):
    return boto3.client(service, endpoint_url=url, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      max_pool_connections=64))


def wrk(url, service, body, target, key, secret, duration, connections, token=""):
    script = subprocess.run(
        [sys.executable, os.path.join(HERE, "signed_request.py"), url, service, body, target or "", key, secret,
         token],
        check=True, capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", path, url],
                             capture_output=True, text=True)
    finally:
        os.unlink(path)
    if out.stderr.strip():
        print(f"wrk stderr ({url}): {out.stderr.strip()[:300]}", file=sys.stderr)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out.stdout, re.M))
    return rps, lat.get("50", "?"), lat.get("99", "?")


def prepare_reader(url):
    """An IAM user allowed GetSecretValue on cml/*, and a secret it reads. Returns its keys."""
    iam = client(url, "iam")
    iam.create_user(UserName="bench-reader")
    iam.put_user_policy(UserName="bench-reader", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                "Resource": "arn:aws:secretsmanager:*:*:secret:cml/*"}]}))
    k = iam.create_access_key(UserName="bench-reader")["AccessKey"]
    client(url, "secretsmanager").create_secret(Name="cml/bench/db", SecretString="s3cr3t-value-for-bench")
    return k["AccessKeyId"], k["SecretAccessKey"]


def prepare_assumer(url):
    """A user allowed sts:AssumeRole on a role that trusts it. Returns (keys, role ARN)."""
    iam = client(url, "iam")
    iam.create_user(UserName="bench-assumer")
    acct = client(url, "sts").get_caller_identity()["Account"]
    user_arn = f"arn:aws:iam::{acct}:user/bench-assumer"
    role_arn = iam.create_role(RoleName="BenchRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_user_policy(UserName="bench-assumer", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Resource": role_arn}]}))
    k = iam.create_access_key(UserName="bench-assumer")["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"], role_arn


def create_users(url, n, threads=8, prefix="u"):
    iam = client(url, "iam")

    def one(i):
        iam.create_user(UserName=f"{prefix}{i:06d}")

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        list(ex.map(one, range(n)))
    return n / (time.perf_counter() - started)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iamd", required=True)
    ap.add_argument("--moto", help="omit to measure iamd alone")
    ap.add_argument("--before", help="another iamd build (e.g. an older commit) measured beside --iamd")
    ap.add_argument("--before-first", action="store_true", help="measure --before ahead of --iamd")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--scenarios", default="gci,gsv,ar,list,cu")
    ap.add_argument("--users", type=int, default=10000)
    a = ap.parse_args()
    scen = a.scenarios.split(",")
    rows = []
    servers = {"iamd": a.iamd, "moto": a.moto}
    if a.before:
        servers = {"before": a.before, "iamd": a.iamd} if a.before_first else {"iamd": a.iamd, "before": a.before}
        if a.moto:
            servers["moto"] = a.moto
    if not a.moto:
        servers.pop("moto", None)
    if "gci" in scen:
        for name, url in servers.items():
            rows.append(("GetCallerIdentity", name,
                         *wrk(url, "sts", "Action=GetCallerIdentity&Version=2011-06-15", None, "test", "test",
                              a.duration, a.connections)))
    if "gsv" in scen:
        for name, url in servers.items():
            key, secret = prepare_reader(url)
            rows.append(("GetSecretValue (IAM user, policy-checked, decrypted)", name,
                         *wrk(url, "secretsmanager", json.dumps({"SecretId": "cml/bench/db"}),
                              "secretsmanager.GetSecretValue", key, secret, a.duration, a.connections)))
    if "ar" in scen:
        from urllib.parse import quote
        for name, url in servers.items():
            key, secret, role = prepare_assumer(url)
            creds = client(url, "sts", key, secret).assume_role(RoleArn=role, RoleSessionName="gci")["Credentials"]
            gci = "Action=GetCallerIdentity&Version=2011-06-15"
            rows.append(("GetCallerIdentity with session credentials, fresh server", name,
                         *wrk(url, "sts", gci, None, creds["AccessKeyId"], creds["SecretAccessKey"],
                              a.duration, a.connections, token=creds["SessionToken"])))
            body = f"Action=AssumeRole&Version=2011-06-15&RoleArn={quote(role, safe='')}&RoleSessionName=bench"
            ar = wrk(url, "sts", body, None, key, secret, a.duration, a.connections)
            rows.append(("AssumeRole (trust + identity policy, sealed session)", name, *ar))
            issued = int(ar[0] * a.duration)
            rows.append((f"GetCallerIdentity with session credentials, after ~{issued:,} sessions were issued", name,
                         *wrk(url, "sts", gci, None, creds["AccessKeyId"], creds["SecretAccessKey"],
                              a.duration, a.connections, token=creds["SessionToken"])))
    if "ar1" in scen:
        from urllib.parse import quote
        for name, url in servers.items():
            key, secret, role = prepare_assumer(url)
            body = f"Action=AssumeRole&Version=2011-06-15&RoleArn={quote(role, safe='')}&RoleSessionName=bench"
            rows.append(("AssumeRole (trust + identity policy, sealed session)", name,
                         *wrk(url, "sts", body, None, key, secret, a.duration, a.connections)))
    if "cu" in scen:
        for name, url in servers.items():
            rps = create_users(url, 2000, prefix="cu")
            rows.append(("CreateUser (boto3, 8 threads, 2,000 users)", name, rps, "-", "-"))
    if "list" in scen:
        for name, url in servers.items():
            have = 2000 if "cu" in scen else 0
            create_users(url, a.users - have, threads=8, prefix="lu")
            rows.append((f"ListUsers MaxItems=100 over {a.users:,} users", name,
                         *wrk(url, "iam", "Action=ListUsers&Version=2010-05-08&MaxItems=100", None, "test", "test",
                              a.duration, a.connections)))
    print(f"wrk -t2 -c{a.connections} -d{a.duration}s, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}\n")
    print("| scenario | server | req/s | p50 | p99 |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:,.0f} | {r[3]} | {r[4]} |")


if __name__ == "__main__":
    main()
