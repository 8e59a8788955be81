"""Secrets Manager replication to other regions of the same server (issue 6), with boto3 and the
aws CLI against real `iamd serve` processes.

AWS texts pinned here, and where they were recorded:
- "Operation not permitted on a replica secret. Call must be made in primary secret's region."
  (InvalidParameterException): AWS's answer to DeleteSecret and PutResourcePolicy on a replica,
  in gruntwork-io/cloud-nuke#435 and lgallard/terraform-aws-secrets-manager#188; moto pins it for
  the other writes.
- "You can't delete secret <arn> that still has replica regions [<r>, ...]."
  (InvalidParameterException): cloud-nuke#435, rebuy-de/aws-nuke#1127 (AWS's CloudTrail text).
- "Invalid replica region." (InvalidParameterException): a Terraform run against AWS in
  aws-samples/aws-health-aware#32; iamd also uses it for unknown region names [unverified].
- ReplicationStatus entries {Region, KmsKeyId "alias/aws/secretsmanager", Status "InSync",
  StatusMessage "Replication succeeded"}: AWS's examples (API_DescribeSecret,
  API_RemoveRegionsFromReplication). AWS reports "InProgress" until the copy is made; iamd copies
  in the same transaction, so it answers "InSync" at once.
- "Replication failed: Secret name <n> already exists in region <r>.": moto's text [unverified].
"""

import json

import botocore.exceptions

import awsraw
from conftest import error_of, cli_error

PRIMARY = "us-east-2"
REPLICA = "eu-west-1"
READ_ONLY = "Operation not permitted on a replica secret. Call must be made in primary secret's region."
INVALID_REGION = "Invalid replica region."


def sm(server, region=PRIMARY):
    return server.client("secretsmanager", region=region)


def in_sync(region):
    return {"Region": region, "KmsKeyId": "alias/aws/secretsmanager", "Status": "InSync",
            "StatusMessage": "Replication succeeded"}


def everything(server, regions=(PRIMARY, REPLICA, "us-west-2")):
    """Every secret of every region involved, with its versions and current value."""
    out = {}
    for region in regions:
        c = sm(server, region)
        for s in c.list_secrets(IncludePlannedDeletion=True)["SecretList"]:
            s.pop("LastAccessedDate", None)
            for r in s.get("ReplicationStatus", []):
                r.pop("LastAccessedDate", None)
            vs = c.list_secret_version_ids(SecretId=s["ARN"], IncludeDeprecated=True)["Versions"]
            out[s["ARN"]] = (json.dumps(s, default=str, sort_keys=True),
                             sorted((v["VersionId"], tuple(v.get("VersionStages", []))) for v in vs))
    return out


def test_replicate_read_write_in_sync_delete_rules_and_promotion(dev):
    p, r = sm(dev), sm(dev, REPLICA)
    arn = p.create_secret(Name="app/db", SecretString="v1", Description="db",
                          Tags=[{"Key": "team", "Value": "db"}])["ARN"]
    out = json.loads(dev.cli("secretsmanager", "replicate-secret-to-regions", "--secret-id", "app/db",
                             "--add-replica-regions", f"Region={REPLICA}", region=PRIMARY).stdout)
    assert out == {"ARN": arn, "ReplicationStatus": [in_sync(REPLICA)]}

    replica_arn = arn.replace(f":{PRIMARY}:", f":{REPLICA}:")
    d = r.describe_secret(SecretId="app/db")
    assert d["ARN"] == replica_arn and d["Name"] == "app/db"
    assert d["PrimaryRegion"] == PRIMARY and "ReplicationStatus" not in d
    assert d["Description"] == "db" and d["Tags"] == [{"Key": "team", "Value": "db"}]
    pd = p.describe_secret(SecretId=arn)
    assert pd["PrimaryRegion"] == PRIMARY and pd["ReplicationStatus"] == [in_sync(REPLICA)]
    assert r.get_secret_value(SecretId=replica_arn)["SecretString"] == "v1"
    # The replica's ARN does not name a secret in the primary's region, nor the reverse.
    assert error_of(p.get_secret_value, SecretId=replica_arn)[1] == "ResourceNotFoundException"
    # Reading the replica shows as the replica's LastAccessedDate in the primary's status.
    assert "LastAccessedDate" in p.describe_secret(SecretId=arn)["ReplicationStatus"][0]

    # Changes to the primary reach the replica: values, labels, description, tags.
    v2 = p.put_secret_value(SecretId=arn, SecretString="v2")["VersionId"]
    p.update_secret(SecretId=arn, Description="db2", SecretString="v3")
    p.update_secret_version_stage(SecretId=arn, VersionStage="BLUE", MoveToVersionId=v2)
    p.tag_resource(SecretId=arn, Tags=[{"Key": "env", "Value": "prod"}])
    p.untag_resource(SecretId=arn, TagKeys=["team"])
    got = r.get_secret_value(SecretId="app/db")
    assert got["SecretString"] == "v3"
    assert r.get_secret_value(SecretId="app/db", VersionStage="BLUE")["SecretString"] == "v2"
    assert r.get_secret_value(SecretId="app/db", VersionStage="AWSPREVIOUS")["SecretString"] == "v2"
    d, pd = r.describe_secret(SecretId="app/db"), p.describe_secret(SecretId=arn)
    assert d["Description"] == "db2" and d["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert d["VersionIdsToStages"] == pd["VersionIdsToStages"]
    assert r.batch_get_secret_value(SecretIdList=["app/db"])["SecretValues"][0]["SecretString"] == "v3"

    # Writes on the replica are refused with AWS's text and change nothing.
    before = everything(dev)
    for call, kwargs in [
        (r.put_secret_value, {"SecretString": "x"}),
        (r.update_secret, {"SecretString": "x"}),
        (r.update_secret, {"Description": "x"}),
        (r.update_secret_version_stage, {"VersionStage": "X", "MoveToVersionId": v2}),
        (r.delete_secret, {}),
        (r.delete_secret, {"ForceDeleteWithoutRecovery": True}),
        (r.restore_secret, {}),
        (r.tag_resource, {"Tags": [{"Key": "k", "Value": "v"}]}),
        (r.untag_resource, {"TagKeys": ["env"]}),
        (r.delete_resource_policy, {}),
        (r.replicate_secret_to_regions, {"AddReplicaRegions": [{"Region": "us-west-2"}]}),
        (r.remove_regions_from_replication, {"RemoveReplicaRegions": [PRIMARY]}),
    ]:
        assert error_of(call, SecretId="app/db", **kwargs) == (400, "InvalidParameterException", READ_ONLY), call
    proc = dev.cli("secretsmanager", "put-secret-value", "--secret-id", "app/db",
                   "--secret-string", "x", region=REPLICA, check=False)
    assert cli_error(proc) == ("InvalidParameterException", READ_ONLY)

    # A primary with replicas cannot be deleted, with or without a recovery window.
    for kwargs in [{}, {"ForceDeleteWithoutRecovery": True}, {"RecoveryWindowInDays": 7}]:
        assert error_of(p.delete_secret, SecretId=arn, **kwargs) == (
            400, "InvalidParameterException",
            f"You can't delete secret {arn} that still has replica regions [{REPLICA}].")
    assert everything(dev) == before

    # A second replica, then: removing one deletes it at once; stopping replication to the
    # other promotes it to a standalone secret that keeps its values.
    p.replicate_secret_to_regions(SecretId=arn, AddReplicaRegions=[{"Region": "us-west-2"}])
    assert sm(dev, "us-west-2").get_secret_value(SecretId="app/db")["SecretString"] == "v3"
    out = p.remove_regions_from_replication(SecretId=arn, RemoveReplicaRegions=[REPLICA])
    assert out["ARN"] == arn and out["ReplicationStatus"] == [in_sync("us-west-2")]
    assert error_of(r.describe_secret, SecretId="app/db")[1] == "ResourceNotFoundException"
    w = sm(dev, "us-west-2")
    promoted = json.loads(dev.cli("secretsmanager", "stop-replication-to-replica", "--secret-id", "app/db",
                                  region="us-west-2").stdout)
    assert promoted == {"ARN": arn.replace(f":{PRIMARY}:", ":us-west-2:")}
    assert "PrimaryRegion" not in w.describe_secret(SecretId="app/db")
    pd = p.describe_secret(SecretId=arn)
    assert "PrimaryRegion" not in pd and "ReplicationStatus" not in pd
    w.put_secret_value(SecretId="app/db", SecretString="west")
    assert w.get_secret_value(SecretId="app/db", VersionStage="AWSPREVIOUS")["SecretString"] == "v3"
    p.put_secret_value(SecretId=arn, SecretString="east")
    assert w.get_secret_value(SecretId="app/db")["SecretString"] == "west"
    p.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def test_create_secret_with_replicas_and_list_filters(dev):
    p = sm(dev)
    out = p.create_secret(Name="multi", SecretString="m",
                          AddReplicaRegions=[{"Region": REPLICA}, {"Region": "us-west-2"}])
    assert out["ReplicationStatus"] == [in_sync(REPLICA), in_sync("us-west-2")]
    p.create_secret(Name="alone", SecretString="a")
    for region in (REPLICA, "us-west-2"):
        c = sm(dev, region)
        assert c.get_secret_value(SecretId="multi")["SecretString"] == "m"
        listed = c.list_secrets()["SecretList"]
        assert [(s["Name"], s["PrimaryRegion"]) for s in listed] == [("multi", PRIMARY)]
    f = [{"Key": "primary-region", "Values": [PRIMARY]}]
    assert [s["Name"] for s in p.list_secrets(Filters=f)["SecretList"]] == ["multi"]
    assert [s["Name"] for s in sm(dev, REPLICA).list_secrets(Filters=f)["SecretList"]] == ["multi"]
    alone = p.describe_secret(SecretId="alone")
    assert "PrimaryRegion" not in alone and "ReplicationStatus" not in alone


def test_bad_replication_requests_change_nothing(dev):
    p = sm(dev)
    p.create_secret(Name="s", SecretString="v")
    sm(dev, REPLICA).create_secret(Name="theirs", SecretString="t")
    before = everything(dev)
    for regions in ([{"Region": PRIMARY}], [{"Region": "xx-nowhere-9"}], [{"Region": "cn-north-1"}],
                    [{"Region": REPLICA}, {"Region": REPLICA}], [{"Region": REPLICA}, {"Region": PRIMARY}]):
        assert error_of(p.replicate_secret_to_regions, SecretId="s", AddReplicaRegions=regions) == (
            400, "InvalidParameterException", INVALID_REGION), regions
        assert error_of(p.create_secret, Name="new", SecretString="v", AddReplicaRegions=regions) == (
            400, "InvalidParameterException", INVALID_REGION), regions
    # The model's pattern and list length, with AWS's validation messages.
    status, code, msg = error_of(p.replicate_secret_to_regions, SecretId="s",
                                 AddReplicaRegions=[{"Region": "EU_WEST_1"}])
    assert (status, code) == (400, "ValidationException")
    assert msg == ("1 validation error detected: Value 'EU_WEST_1' at 'addReplicaRegions.1.member.region' "
                   "failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-)+\\d+$")
    # botocore checks the list's minimum length itself; a raw request reaches the server's check.
    resp = awsraw.sm(dev.url, "ReplicateSecretToRegions",
                     json.dumps({"SecretId": "s", "AddReplicaRegions": []}).encode(), region=PRIMARY)
    assert (resp.status_code, resp.json()["__type"]) == (400, "ValidationException"), resp.text
    assert "addReplicaRegions" in resp.json()["Message"], resp.text
    assert error_of(p.replicate_secret_to_regions, SecretId="nope", AddReplicaRegions=[{"Region": REPLICA}]) == (
        400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    assert error_of(p.remove_regions_from_replication, SecretId="nope", RemoveReplicaRegions=[REPLICA])[1] \
        == "ResourceNotFoundException"
    # StopReplicationToReplica on a secret that is not a replica [text unverified].
    status, code, _ = error_of(p.stop_replication_to_replica, SecretId="s")
    assert (status, code) == (400, "InvalidParameterException")
    assert error_of(sm(dev, REPLICA).stop_replication_to_replica, SecretId="theirs")[1] == "InvalidParameterException"
    proc = dev.cli("secretsmanager", "replicate-secret-to-regions", "--secret-id", "s",
                   "--add-replica-regions", f"Region={PRIMARY}", region=PRIMARY, check=False)
    assert cli_error(proc) == ("InvalidParameterException", INVALID_REGION)
    # A customer-managed key for a replica is refused like one for a primary (no KMS yet).
    assert error_of(p.replicate_secret_to_regions, SecretId="s",
                    AddReplicaRegions=[{"Region": REPLICA, "KmsKeyId": "alias/mine"}])[1] == "InvalidParameterException"
    assert everything(dev) == before


def test_a_taken_name_fails_to_replicate_unless_forced(dev):
    p, r = sm(dev), sm(dev, REPLICA)
    arn = p.create_secret(Name="dup", SecretString="primary")["ARN"]
    theirs = r.create_secret(Name="dup", SecretString="theirs")["ARN"]
    out = p.replicate_secret_to_regions(SecretId="dup", AddReplicaRegions=[{"Region": REPLICA}])
    assert out["ReplicationStatus"] == [{
        "Region": REPLICA, "KmsKeyId": "alias/aws/secretsmanager", "Status": "Failed",
        "StatusMessage": f"Replication failed: Secret name dup already exists in region {REPLICA}."}]
    assert p.describe_secret(SecretId=arn)["ReplicationStatus"][0]["Status"] == "Failed"
    assert r.get_secret_value(SecretId="dup")["ARN"] == theirs
    assert r.get_secret_value(SecretId="dup")["SecretString"] == "theirs"
    out = json.loads(dev.cli("secretsmanager", "replicate-secret-to-regions", "--secret-id", "dup",
                             "--add-replica-regions", f"Region={REPLICA}", "--force-overwrite-replica-secret",
                             region=PRIMARY).stdout)
    assert out["ReplicationStatus"] == [in_sync(REPLICA)]
    got = r.get_secret_value(SecretId="dup")
    assert got["SecretString"] == "primary" and got["ARN"] == arn.replace(f":{PRIMARY}:", f":{REPLICA}:")
    assert error_of(r.describe_secret, SecretId=theirs)[1] == "ResourceNotFoundException"


def test_replication_permissions_and_condition_keys(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="repl")
    iam.put_user_policy(UserName="repl", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["secretsmanager:CreateSecret", "secretsmanager:DescribeSecret"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": "secretsmanager:ReplicateSecretToRegions", "Resource": "*",
             "Condition": {"ForAllValues:StringEquals": {"secretsmanager:AddReplicaRegions": [REPLICA]}}},
            {"Effect": "Allow", "Action": "secretsmanager:StopReplicationToReplica", "Resource": "*",
             "Condition": {"StringEquals": {"secretsmanager:SecretPrimaryRegion": "us-west-2"}}}]}))
    k = iam.create_access_key(UserName="repl")["AccessKey"]
    u = dev.client("secretsmanager", key=k["AccessKeyId"], secret=k["SecretAccessKey"], region=PRIMARY)
    arn = sm(dev).create_secret(Name="s", SecretString="v")["ARN"]
    status, code, msg = error_of(u.replicate_secret_to_regions, SecretId="s",
                                 AddReplicaRegions=[{"Region": "us-west-2"}])
    assert (status, code) == (400, "AccessDeniedException")
    assert msg == (f"User: arn:aws:iam::000000000000:user/repl is not authorized to perform: "
                   f"secretsmanager:ReplicateSecretToRegions on resource: {arn} because no identity-based "
                   f"policy allows the secretsmanager:ReplicateSecretToRegions action")
    u.replicate_secret_to_regions(SecretId="s", AddReplicaRegions=[{"Region": REPLICA}])
    # CreateSecret with replicas also needs ReplicateSecretToRegions; nothing is created.
    assert error_of(u.create_secret, Name="c", SecretString="v",
                    AddReplicaRegions=[{"Region": "us-west-2"}])[1] == "AccessDeniedException"
    assert error_of(sm(dev).describe_secret, SecretId="c")[1] == "ResourceNotFoundException"
    ur = dev.client("secretsmanager", key=k["AccessKeyId"], secret=k["SecretAccessKey"], region=REPLICA)
    assert error_of(ur.stop_replication_to_replica, SecretId="s")[1] == "AccessDeniedException"
    assert sm(dev, REPLICA).describe_secret(SecretId="s")["PrimaryRegion"] == PRIMARY


def test_replicas_written_through_one_node_are_read_through_the_other(pg_nodes):
    import time
    a, b = pg_nodes
    arn = sm(a).create_secret(Name="n", SecretString="one", AddReplicaRegions=[{"Region": REPLICA}])["ARN"]
    sm(a).put_secret_value(SecretId=arn, SecretString="two")
    deadline = time.time() + 5
    while True:
        try:
            if sm(b, REPLICA).get_secret_value(SecretId="n")["SecretString"] == "two":
                break
        except botocore.exceptions.ClientError:
            pass
        assert time.time() < deadline, "node b never saw the replica"
        time.sleep(0.05)
    assert error_of(sm(b, REPLICA).put_secret_value, SecretId="n", SecretString="x")[2] == READ_ONLY
    sm(b).remove_regions_from_replication(SecretId=arn, RemoveReplicaRegions=[REPLICA])
    deadline = time.time() + 5
    while "ReplicationStatus" in sm(a).describe_secret(SecretId=arn):
        assert time.time() < deadline
        time.sleep(0.05)
    assert error_of(sm(a, REPLICA).describe_secret, SecretId="n")[1] == "ResourceNotFoundException"
