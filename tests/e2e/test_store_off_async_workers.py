"""Store access never happens on an async worker (issue #12: "every store access runs where
blocking is allowed"). In-memory hot paths (GetCallerIdentity, AssumeRole, GetSecretValue, session
requests) run on the server's async workers only while their caches are warm; a cold cache reads
the store, and then the request runs again on the blocking pool. The PostgreSQL store's worker
guard logs (at debug level) every store call it finds on an async worker: after a workload that
starts every cache cold, and cools them again with writes, the log must have none.

On the code before this change the same workload logged dozens of such calls (cold caller views,
session principals and roles on the inline paths). Needs IAMD_TEST_POSTGRES_URL."""

import json
import secrets

import pytest

from conftest import PG, Server, stop_nodes

pytestmark = pytest.mark.skipif(not PG, reason="SKIPPED: IAMD_TEST_POSTGRES_URL is not set")

GUARD = "store call on an async worker thread"


def test_no_store_call_runs_on_an_async_worker(tmp_path):
    schema = f"e2e_{secrets.token_hex(6)}"
    sep = "&" if "?" in PG else "?"
    node = Server("--dev", "--store", f"{PG}{sep}schema={schema}",
                  data_dir=tmp_path / "n", env={"IAMD_LOG": "info,iamd_store=debug"}).start()
    try:
        root = node.client("iam")
        sm = node.client("secretsmanager")
        sts = node.client("sts")
        allow_all = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sts:*", "secretsmanager:*", "iam:Get*"],
             "Resource": "*"}]})
        root.create_user(UserName="worker")
        root.put_user_policy(UserName="worker", PolicyName="all", PolicyDocument=allow_all)
        key = root.create_access_key(UserName="worker")["AccessKey"]
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
             "Action": "sts:AssumeRole"}]})
        role = root.create_role(RoleName="hot", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        root.put_role_policy(RoleName="hot", PolicyName="all", PolicyDocument=allow_all)
        arn = sm.create_secret(Name="hot/secret", SecretString="v")["ARN"]
        as_user = dict(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
        for round_ in range(3):
            user_sts = node.client("sts", **as_user)
            user_sm = node.client("secretsmanager", **as_user)
            user_sts.get_caller_identity()
            assert user_sm.get_secret_value(SecretId=arn)["SecretString"] == "v"
            creds = user_sts.assume_role(RoleArn=role, RoleSessionName=f"s{round_}")["Credentials"]
            session = dict(key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                           token=creds["SessionToken"])
            node.client("sts", **session).get_caller_identity()
            assert node.client("secretsmanager", **session).get_secret_value(
                SecretId=arn)["SecretString"] == "v"
            sts.get_caller_identity()
            # A write moves the IAM generation: every cache is cold again for the next round.
            root.tag_user(UserName="worker", Tags=[{"Key": "round", "Value": str(round_)}])
        logs = node.logs()
        offending = [line for line in logs.splitlines() if GUARD in line]
        assert offending == [], "\n".join(offending[:20])
    finally:
        stop_nodes([node], schema)
