import os
import subprocess
"""Secrets Manager end to end, with boto3 and the aws CLI against real `iamd serve` processes.

AWS facts pinned here come from docs/aws-semantics.md §6 (recorded AWS responses where marked
[rec]); where AWS is ambiguous the choice and its source are written next to the assertion.
"""

import json
import re
import signal


import awsraw

from conftest import Server, assert_not_at_rest, error_of, cli_error

REGION = "us-east-2"
SEED_002 = ["app", "sys", "cluster", "smartlicense_token"]
NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED = "You can't perform this operation on the secret because it was marked for deletion."


def sm(server, region=REGION, **kw):
    return server.client("secretsmanager", region=region, **kw)


def state(c, secret_id):
    """Everything observable about a secret, to check that a refused request changed nothing."""
    d = c.describe_secret(SecretId=secret_id)
    d.pop("ResponseMetadata")
    d.pop("LastAccessedDate", None)  # reads move it; compared separately where it matters
    v = c.list_secret_version_ids(SecretId=secret_id, IncludeDeprecated=True)["Versions"]
    p = c.get_resource_policy(SecretId=secret_id).get("ResourcePolicy")
    cur = c.get_secret_value(SecretId=secret_id)
    return d, sorted((x["VersionId"], tuple(x.get("VersionStages", []))) for x in v), p, \
        cur.get("SecretString"), cur["VersionId"]


# --- seed 002: cml/<project>/<name> in us-east-2 ------------------------------------------------

def test_seed_002_secrets_created_and_read_back(dev):
    c = sm(dev)
    values = {}
    for i, name in enumerate(SEED_002):
        full = f"cml/cml-devnet/{name}"
        values[full] = f"seed-002-{name}-{i}-Pa55!"
        if i % 2 == 0:
            r = c.create_secret(Name=full, SecretString=values[full],
                                Description=f"CML {name}")
        else:
            r = json.loads(dev.cli("secretsmanager", "create-secret", "--name", full,
                                   "--secret-string", values[full], region=REGION).stdout)
        assert r["Name"] == full
        assert re.fullmatch(rf"arn:aws:secretsmanager:us-east-2:000000000000:secret:{re.escape(full)}-[A-Za-z0-9]{{6}}",
                            r["ARN"]), r["ARN"]
        assert re.fullmatch(r"[0-9a-f-]{36}", r["VersionId"])
    for full, value in values.items():
        got = c.get_secret_value(SecretId=full)
        assert got["SecretString"] == value
        assert got["VersionStages"] == ["AWSCURRENT"]
        out = json.loads(dev.cli("secretsmanager", "get-secret-value", "--secret-id", full,
                                 region=REGION).stdout)
        assert out["SecretString"] == value
    listed = c.list_secrets(Filters=[{"Key": "name", "Values": ["cml/cml-devnet/"]}])["SecretList"]
    assert sorted(s["Name"] for s in listed) == sorted(values)
    assert all("KmsKeyId" not in s for s in listed), "the default key is not reported"

    # Secrets are regional: us-east-1 has none of them, and says so with AWS's text and 400.
    east1 = sm(dev, region="us-east-1")
    for full in values:
        assert error_of(east1.get_secret_value, SecretId=full) == (400, "ResourceNotFoundException", NOT_FOUND)
    proc = dev.cli("secretsmanager", "get-secret-value", "--secret-id", "cml/cml-devnet/app",
                   region="us-east-1", check=False)
    assert cli_error(proc) == ("ResourceNotFoundException", NOT_FOUND)
    assert east1.list_secrets()["SecretList"] == []


def test_lookup_by_arn_and_partial_arn_and_cross_account(dev):
    c = sm(dev, key="111111111111")
    arn = c.create_secret(Name="cml/cml-devnet/app", SecretString="v")["ARN"]
    for sid in ("cml/cml-devnet/app", arn, arn[:-7]):
        assert c.get_secret_value(SecretId=sid)["ARN"] == arn
    # Another account: by name there is nothing; by ARN the secret's account grants nothing to
    # it (no resource policy), so AWS answers AccessDenied naming the resource-based policy
    # (aws-semantics.md §1.3, §4.5, §6.8).
    other = sm(dev, key="222222222222")
    assert error_of(other.get_secret_value, SecretId="cml/cml-devnet/app") == \
        (400, "ResourceNotFoundException", NOT_FOUND)
    status, code, msg = error_of(other.get_secret_value, SecretId=arn)
    assert (status, code) == (400, "AccessDeniedException")
    assert msg == (f"User: arn:aws:iam::222222222222:root is not authorized to perform: "
                   f"secretsmanager:GetSecretValue on resource: {arn} because no resource-based "
                   f"policy allows the secretsmanager:GetSecretValue action")


# --- create-or-update with versions (the seed's migration tool) ----------------------------------

def create_or_update(c, name, value):
    try:
        c.describe_secret(SecretId=name)
    except c.exceptions.ResourceNotFoundException:
        return c.create_secret(Name=name, SecretString=value)["VersionId"]
    return c.put_secret_value(SecretId=name, SecretString=value)["VersionId"]


def test_create_or_update_moves_current_and_previous(dev):
    c = sm(dev)
    name = "cml/cml-devnet/cluster"
    v1 = create_or_update(c, name, "first")
    v2 = create_or_update(c, name, "second")
    assert v1 != v2
    stages = c.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    assert c.get_secret_value(SecretId=name)["SecretString"] == "second"
    assert c.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "first"
    assert c.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "first"
    # The CLI's update-secret makes a third version; the first drops out of the labeled list.
    out = json.loads(dev.cli("secretsmanager", "update-secret", "--secret-id", name,
                             "--secret-string", "third", region=REGION).stdout)
    v3 = out["VersionId"]
    listed = json.loads(dev.cli("secretsmanager", "list-secret-version-ids", "--secret-id", name,
                                region=REGION).stdout)["Versions"]
    assert {v["VersionId"]: v["VersionStages"] for v in listed} == \
        {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    # Idempotency: the same token and value again is a no-op; another value is refused.
    token = "0123456789abcdef0123456789abcdef"
    c.put_secret_value(SecretId=name, SecretString="fourth", ClientRequestToken=token)
    before = state(c, name)
    again = c.put_secret_value(SecretId=name, SecretString="fourth", ClientRequestToken=token)
    assert again["VersionId"] == token
    assert state(c, name) == before
    status, code, _ = error_of(c.put_secret_value, SecretId=name, SecretString="other",
                               ClientRequestToken=token)
    assert (status, code) == (400, "ResourceExistsException")
    assert state(c, name) == before
    # Binary values round-trip as bytes.
    c.put_secret_value(SecretId=name, SecretBinary=b"\x00\xffbin")
    assert c.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00\xffbin"


# --- deletion lifecycle ------------------------------------------------------------------------

def test_delete_refuse_restore_force_delete(dev):
    c = sm(dev)
    name = "cml/cml-devnet/smartlicense_token"
    arn = c.create_secret(Name=name, SecretString="tok")["ARN"]
    d = c.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert d["ARN"] == arn
    assert 7 * 86400 - 60 <= (d["DeletionDate"] - c.describe_secret(SecretId=name)["DeletedDate"]).total_seconds() <= 7 * 86400 + 60
    assert error_of(c.get_secret_value, SecretId=name) == (400, "InvalidRequestException", MARKED)
    assert error_of(c.put_secret_value, SecretId=name, SecretString="x") == \
        (400, "InvalidRequestException", MARKED)
    proc = dev.cli("secretsmanager", "get-secret-value", "--secret-id", name, region=REGION, check=False)
    assert cli_error(proc) == ("InvalidRequestException", MARKED)
    assert c.list_secrets()["SecretList"] == []
    assert [s["Name"] for s in c.list_secrets(IncludePlannedDeletion=True)["SecretList"]] == [name]
    status, code, msg = error_of(c.create_secret, Name=name, SecretString="again")
    assert (status, code, msg) == (400, "InvalidRequestException",
                                   "You can't create this secret because a secret with this name is already scheduled for deletion.")

    dev.cli("secretsmanager", "restore-secret", "--secret-id", name, region=REGION)
    assert c.get_secret_value(SecretId=name)["SecretString"] == "tok"
    assert "DeletedDate" not in c.describe_secret(SecretId=name)

    out = json.loads(dev.cli("secretsmanager", "delete-secret", "--secret-id", name,
                             "--force-delete-without-recovery", region=REGION).stdout)
    assert out["Name"] == name
    assert error_of(c.describe_secret, SecretId=name) == (400, "ResourceNotFoundException", NOT_FOUND)
    # The name is free again at once, under a new ARN.
    assert c.create_secret(Name=name, SecretString="new")["ARN"] != arn


def test_delete_parameter_rules(dev):
    c = sm(dev)
    c.create_secret(Name="d", SecretString="v")
    assert error_of(c.delete_secret, SecretId="d", RecoveryWindowInDays=7,
                    ForceDeleteWithoutRecovery=True) == \
        (400, "InvalidParameterException",
         "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
    for days in (6, 31):
        status, code, _ = error_of(c.delete_secret, SecretId="d", RecoveryWindowInDays=days)
        assert (status, code) == (400, "InvalidParameterException")
    assert c.get_secret_value(SecretId="d")["SecretString"] == "v"


# --- bad inputs: AWS's errors, and nothing changes ------------------------------------------------

def test_bad_inputs_answer_aws_errors_and_change_nothing(dev):
    c = sm(dev)
    name = "cml/cml-devnet/app"
    c.create_secret(Name=name, SecretString="keep-me")
    c.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                  "Action": "secretsmanager:DeleteSecret", "Resource": "*"}]}))
    before = state(c, name)

    # A 65,537-character value: the model's length constraint (the value itself is sensitive and
    # not echoed).
    big = "x" * 65537
    for call, kw in ((c.put_secret_value, {"SecretId": name, "SecretString": big}),
                     (c.create_secret, {"Name": "too-big", "SecretString": big})):
        status, code, msg = error_of(call, **kw)
        assert (status, code) == (400, "ValidationException"), msg
        assert "secretString" in msg and "65536" in msg, msg
        assert big not in msg
    # A policy over 20,480 characters.
    huge = json.dumps({"Version": "2012-10-17", "Statement": [], "Pad": "p" * 20480})
    status, code, msg = error_of(c.put_resource_policy, SecretId=name, ResourcePolicy=huge)
    assert (status, code) == (400, "ValidationException"), msg
    assert "resourcePolicy" in msg and "20480" in msg, msg
    # Malformed policies.
    no_principal = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    for bad in ("{", "not json", "[]", '"a string"', '{"Version": "2012-10-17",}', no_principal):
        assert error_of(c.put_resource_policy, SecretId=name, ResourcePolicy=bad) == \
            (400, "MalformedPolicyDocumentException", "This policy has invalid syntax.")
    # Unknown version ids and stages (aws-semantics.md §6.3 [rec]).
    unknown = "ffffffff-ffff-4fff-8fff-ffffffffffff"
    assert error_of(c.get_secret_value, SecretId=name, VersionId=unknown) == \
        (400, "ResourceNotFoundException",
         f"Secrets Manager can't find the specified secret value for VersionId: {unknown}")
    assert error_of(c.get_secret_value, SecretId=name, VersionStage="NOPE") == \
        (400, "ResourceNotFoundException",
         "Secrets Manager can't find the specified secret value for staging label: NOPE")
    current = before[4]
    assert error_of(c.get_secret_value, SecretId=name, VersionId=current, VersionStage="AWSPREVIOUS") == \
        (400, "InvalidRequestException",
         "You provided a VersionStage that is not associated to the provided VersionId.")
    status, code, _ = error_of(c.update_secret_version_stage, SecretId=name, VersionStage="AWSCURRENT",
                               MoveToVersionId=unknown, RemoveFromVersionId=current)
    assert (status, code) == (400, "InvalidParameterException")
    # botocore checks minimum lengths itself; a raw request reaches the server's model check.
    r = awsraw.sm(dev.url, "GetSecretValue", json.dumps({"SecretId": name, "VersionId": "short"}).encode(),
                  region=REGION)
    assert (r.status_code, r.json()["__type"]) == (400, "ValidationException"), r.text
    assert "versionId" in r.json()["Message"], r.text
    # Invalid names [rec: LocalStack snapshot recorded against AWS].
    assert error_of(c.create_secret, Name="bad name", SecretString="v") == \
        (400, "ValidationException",
         "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
    assert error_of(c.create_secret, Name=name, SecretString="dup") == \
        (400, "ResourceExistsException", f"The operation failed because the secret {name} already exists.")
    # Rotation needs a Lambda function iamd does not have: AWS's answer without one.
    assert error_of(c.rotate_secret, SecretId=name) == \
        (400, "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")

    assert state(c, name) == before
    assert [s["Name"] for s in c.list_secrets()["SecretList"]] == [name]


# --- other operations ----------------------------------------------------------------------------

def test_tags_policy_batch_and_random_password(dev):
    c = sm(dev)
    c.create_secret(Name="cml/cml-devnet/sys", SecretString="s1", Tags=[{"Key": "env", "Value": "prod"}])
    c.create_secret(Name="other/thing", SecretString="o1")
    c.tag_resource(SecretId="other/thing", Tags=[{"Key": "env", "Value": "dev"}])
    c.untag_resource(SecretId="cml/cml-devnet/sys", TagKeys=["env"])
    assert "Tags" not in c.describe_secret(SecretId="cml/cml-devnet/sys")
    assert c.describe_secret(SecretId="other/thing")["Tags"] == [{"Key": "env", "Value": "dev"}]
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    c.put_resource_policy(SecretId="other/thing", ResourcePolicy=doc)
    assert c.get_resource_policy(SecretId="other/thing")["ResourcePolicy"] == doc
    c.delete_resource_policy(SecretId="other/thing")
    assert "ResourcePolicy" not in c.get_resource_policy(SecretId="other/thing")

    b = c.batch_get_secret_value(SecretIdList=["cml/cml-devnet/sys", "missing/one"])
    assert [v["SecretString"] for v in b["SecretValues"]] == ["s1"]
    assert b["Errors"] == [{"SecretId": "missing/one", "ErrorCode": "ResourceNotFoundException",
                            "Message": NOT_FOUND}]
    b = c.batch_get_secret_value(Filters=[{"Key": "name", "Values": ["cml/"]}])
    assert [v["Name"] for v in b["SecretValues"]] == ["cml/cml-devnet/sys"]

    pw = c.get_random_password(PasswordLength=40, ExcludePunctuation=True)["RandomPassword"]
    assert len(pw) == 40 and pw.isalnum()
    assert any(ch.isdigit() for ch in pw) and any(ch.isupper() for ch in pw) and any(ch.islower() for ch in pw)
    out = json.loads(dev.cli("secretsmanager", "get-random-password", "--password-length", "12",
                             "--exclude-characters", "abcdefghijklmnopqrstuvwxyz", "--include-space",
                             region=REGION).stdout)
    assert len(out["RandomPassword"]) == 12
    assert not any(ch.islower() for ch in out["RandomPassword"])
    status, code, msg = error_of(c.get_random_password, PasswordLength=5000)
    assert (status, code) == (400, "ValidationException"), msg


# --- at rest -------------------------------------------------------------------------------------

def test_no_plaintext_value_under_the_data_dir(dev):
    c = sm(dev)
    markers = [f"PLAINTEXT-MARKER-{i}-q8Zr2" for i in range(5)]
    c.create_secret(Name="at-rest/a", SecretString=markers[0])
    c.put_secret_value(SecretId="at-rest/a", SecretString=markers[1])
    c.update_secret(SecretId="at-rest/a", SecretString=markers[2])
    c.create_secret(Name="at-rest/b", SecretBinary=markers[3].encode())
    assert c.get_secret_value(SecretId="at-rest/a", VersionStage="AWSPREVIOUS")["SecretString"] == markers[1]
    # Replicas hold their own sealed copies (issue 6): replicated values are scanned too.
    c.replicate_secret_to_regions(SecretId="at-rest/a", AddReplicaRegions=[{"Region": "eu-west-1"}])
    c.put_secret_value(SecretId="at-rest/a", SecretString=markers[4])
    assert sm(dev, region="eu-west-1").get_secret_value(SecretId="at-rest/a")["SecretString"] == markers[4]
    assert sm(dev, region="eu-west-1").get_secret_value(
        SecretId="at-rest/a", VersionStage="AWSPREVIOUS")["SecretString"] == markers[2]
    assert_not_at_rest(dev, markers)


# --- durability ----------------------------------------------------------------------------------

def test_acknowledged_writes_survive_kill_9(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # Debug logging: every request is logged, and still no value may appear in the log.
    s = Server("--dev", data_dir=data, env={"IAMD_LOG": "debug"}).start()
    try:
        c = sm(s)
        arn = c.create_secret(Name="cml/cml-devnet/app", SecretString="v1-LOGMARKER-7Qx",
                              Tags=[{"Key": "k", "Value": "v"}])["ARN"]
        v2 = c.put_secret_value(SecretId=arn, SecretString="v2-LOGMARKER-7Qx")["VersionId"]
        c.create_secret(Name="cml/cml-devnet/sys", SecretString="sys")
        c.delete_secret(SecretId="cml/cml-devnet/sys", RecoveryWindowInDays=7)
        c.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "000000000000"},
                "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
        before = state(c, arn)
    finally:
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        s.log.close()
    s2 = Server("--dev", data_dir=data).start()
    try:
        c = sm(s2)
        assert state(c, arn) == before
        assert c.get_secret_value(SecretId="cml/cml-devnet/app")["VersionId"] == v2
        assert c.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == "v1-LOGMARKER-7Qx"
        assert error_of(c.get_secret_value, SecretId="cml/cml-devnet/sys") == \
            (400, "InvalidRequestException", MARKED)
    finally:
        assert s2.stop() == 0, s2.logs()
    logs = s.logs() + s2.logs()
    assert "GetSecretValue" in logs, "debug logging was on"
    assert "LOGMARKER" not in logs


def test_batch_get_reports_each_refused_secret(dev):
    mine = sm(dev, key="111111111111")
    arn = mine.create_secret(Name="cml/cml-devnet/app", SecretString="v")["ARN"]
    mine.create_secret(Name="cml/cml-devnet/sys", SecretString="s")
    mine.delete_secret(SecretId="cml/cml-devnet/sys")
    b = mine.batch_get_secret_value(SecretIdList=["cml/cml-devnet/app", "cml/cml-devnet/sys"])
    assert [v["ARN"] for v in b["SecretValues"]] == [arn]
    assert b["Errors"] == [{"SecretId": "cml/cml-devnet/sys", "ErrorCode": "InvalidRequestException",
                            "Message": MARKED}]
    # Another account asking by ARN: the batch itself succeeds; the secret is refused inside it.
    theirs = sm(dev, key="222222222222")
    b = theirs.batch_get_secret_value(SecretIdList=[arn])
    assert b["SecretValues"] == []
    [err] = b["Errors"]
    assert (err["SecretId"], err["ErrorCode"]) == (arn, "AccessDeniedException")
    assert err["Message"].startswith("User: arn:aws:iam::222222222222:root is not authorized to perform: "
                                     f"secretsmanager:GetSecretValue on resource: {arn}")
    assert error_of(theirs.batch_get_secret_value, SecretIdList=[arn],
                    Filters=[{"Key": "name", "Values": ["x"]}])[:2] == (400, "InvalidParameterException")


def test_cli_binary_values_and_version_stage_moves(dev, tmp_path):
    blob = bytes(range(256))
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)
    name = "cml/cml-devnet/cluster"
    first = json.loads(dev.cli("secretsmanager", "create-secret", "--name", name,
                               "--secret-binary", f"fileb://{path}", region=REGION).stdout)["VersionId"]
    c = sm(dev)
    assert c.get_secret_value(SecretId=name)["SecretBinary"] == blob
    pending = c.put_secret_value(SecretId=name, SecretString="next", VersionStages=["AWSPENDING"])["VersionId"]
    assert c.get_secret_value(SecretId=name)["VersionId"] == first, "AWSPENDING leaves AWSCURRENT alone"
    proc = dev.cli("secretsmanager", "update-secret-version-stage", "--secret-id", name,
                   "--version-stage", "AWSCURRENT", "--move-to-version-id", pending,
                   region=REGION, check=False)
    code, msg = cli_error(proc)
    assert code == "InvalidParameterException"
    assert msg == ("The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently "
                   f"attached to version {first}, so you must explicitly reference that version in "
                   "RemoveFromVersionId.")
    dev.cli("secretsmanager", "update-secret-version-stage", "--secret-id", name,
            "--version-stage", "AWSCURRENT", "--move-to-version-id", pending,
            "--remove-from-version-id", first, region=REGION)
    stages = c.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {first: ["AWSPREVIOUS"], pending: ["AWSPENDING", "AWSCURRENT"]}
    assert c.get_secret_value(SecretId=name)["SecretString"] == "next"
    assert c.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretBinary"] == blob


def test_block_public_policy_and_validate_resource_policy(dev):
    c = sm(dev)
    arn = c.create_secret(Name="public/maybe", SecretString="v")["ARN"]
    public = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    narrowed = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "000000000000"}}}]})
    # BlockPublicPolicy: the public policy is refused and nothing is stored.
    assert error_of(c.put_resource_policy, SecretId=arn, ResourcePolicy=public, BlockPublicPolicy=True) == \
        (400, "PublicPolicyException",
         "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent "
         "broad access to the secret.")
    assert "ResourcePolicy" not in c.get_resource_policy(SecretId=arn)
    c.put_resource_policy(SecretId=arn, ResourcePolicy=narrowed, BlockPublicPolicy=True)
    # By default public policies are not blocked (model documentation of BlockPublicPolicy).
    c.put_resource_policy(SecretId=arn, ResourcePolicy=public)
    out = c.validate_resource_policy(ResourcePolicy=public)
    assert out["PolicyValidationPassed"] is False
    assert out["ValidationErrors"][0]["CheckName"] == "BROAD_ACCESS"
    out = c.validate_resource_policy(SecretId=arn, ResourcePolicy=narrowed)
    assert out["PolicyValidationPassed"] is True and out["ValidationErrors"] == []
    assert error_of(c.validate_resource_policy, ResourcePolicy="{nope")[1] == "MalformedPolicyDocumentException"


def test_unsupported_create_secret_features_are_refused_not_ignored(dev):
    """Cross-account replicas and managed external secrets are not in iamd: CreateSecret asking for
    either is refused with NotImplemented (501) and creates nothing, rather than quietly making a
    plain secret the caller did not ask for."""
    c = sm(dev)
    primary = "arn:aws:secretsmanager:us-east-2:222222222222:secret:shared/db-AbCdEf"
    for extra, feature in [({"CrossAccountPrimaryARN": primary}, "CrossAccountPrimaryARN"),
                           ({"Type": "SalesforceAppCredential"}, "Type")]:
        status, code, msg = error_of(c.create_secret, Name="unsupported/x", SecretString="v", **extra)
        assert (status, code) == (501, "NotImplemented"), msg
        assert feature in msg, msg
        assert error_of(c.describe_secret, SecretId="unsupported/x")[1] == "ResourceNotFoundException"
