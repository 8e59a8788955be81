"""Last-used data and credential reports (issue #14 item 6; aws-semantics-2.md §4):
GetAccessKeyLastUsed after a key signs requests, RoleLastUsed after a role's session does,
GenerateCredentialReport / GetCredentialReport with AWS's columns, states and errors. Driven
with boto3 and the aws CLI.

iamd shows a use at once on the node that served it (AWS documents a delay of up to four hours)
and writes it to the store within five minutes and at shutdown, so it survives a restart."""

import base64
import csv
import io
import json
import time
from datetime import datetime, timezone

from conftest import Server, cli_error, error_of

ACCOUNT = "000000000000"  # the dev-mode account of the `test` key

COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
]

NOT_PRESENT = ("The request was rejected because the credential report does not exist. "
               "To generate a credential report, use GenerateCredentialReport.")


def allow(action, resource="*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource}]})


def trust_account():
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "sts:AssumeRole"}]})


def user_with_key(iam, name, policy=None):
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def recent(dt, slack=120):
    now = datetime.now(timezone.utc)
    return abs((now - dt).total_seconds()) <= slack


def test_access_key_last_used_shows_the_service_and_region_of_the_last_request(dev):
    iam = dev.client("iam")
    key, secret = user_with_key(iam, "worker")
    # Never used: AWS's N/A shape, no date.
    never = iam.get_access_key_last_used(AccessKeyId=key)
    assert never["UserName"] == "worker"
    assert never["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}

    dev.client("sts", key=key, secret=secret, region="eu-west-1").get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts" and used["Region"] == "eu-west-1"
    assert recent(used["LastUsedDate"])

    # A denied request is an attempt AWS counts too: the user has no permissions at all.
    sm = dev.client("secretsmanager", key=key, secret=secret, region="us-west-2")
    assert error_of(sm.list_secrets)[1] == "AccessDeniedException"
    used = iam.get_access_key_last_used(AccessKeyId=key)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "secretsmanager" and used["Region"] == "us-west-2"

    # The aws CLI sees the same.
    out = json.loads(dev.cli("iam", "get-access-key-last-used", "--access-key-id", key).stdout)
    assert out["UserName"] == "worker"
    assert out["AccessKeyLastUsed"]["ServiceName"] == "secretsmanager"
    assert out["AccessKeyLastUsed"]["Region"] == "us-west-2"
    assert "LastUsedDate" in out["AccessKeyLastUsed"]

    # The other key of the same user is still unused; a key id of no key is refused as before.
    other = iam.create_access_key(UserName="worker")["AccessKey"]["AccessKeyId"]
    assert iam.get_access_key_last_used(AccessKeyId=other)["AccessKeyLastUsed"] == {
        "ServiceName": "N/A", "Region": "N/A"}
    assert error_of(iam.get_access_key_last_used, AccessKeyId="AKIAIOSFODNN7EXAMPLE")[:2] == (
        403, "AccessDenied")


def test_role_last_used_changes_when_a_session_of_the_role_is_used(dev):
    iam = dev.client("iam")
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust_account())
    assert iam.get_role(RoleName="reader")["Role"]["RoleLastUsed"] == {}
    key, secret = user_with_key(iam, "caller", allow("sts:AssumeRole"))
    creds = dev.client("sts", key=key, secret=secret).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/reader", RoleSessionName="s1")["Credentials"]
    # Assuming the role is a request of the caller, not of the role (aws-semantics-2.md §4.2
    # leaves it open; iamd counts the role's own sessions only).
    assert iam.get_role(RoleName="reader")["Role"]["RoleLastUsed"] == {}

    dev.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
               token=creds["SessionToken"], region="ap-southeast-2").get_caller_identity()
    last = iam.get_role(RoleName="reader")["Role"]["RoleLastUsed"]
    assert last["Region"] == "ap-southeast-2" and recent(last["LastUsedDate"])
    # ListRoles carries no RoleLastUsed (AWS shows it in GetRole only, §4.2);
    # GetAccountAuthorizationDetails does.
    [listed] = [r for r in iam.list_roles()["Roles"] if r["RoleName"] == "reader"]
    assert "RoleLastUsed" not in listed
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    [detail] = [r for r in details if r["RoleName"] == "reader"]
    assert detail["RoleLastUsed"]["Region"] == "ap-southeast-2"
    out = json.loads(dev.cli("iam", "get-role", "--role-name", "reader").stdout)
    assert out["Role"]["RoleLastUsed"]["Region"] == "ap-southeast-2"
    # A temporary key has no last-used record of its own: not a key of the account.
    assert error_of(iam.get_access_key_last_used, AccessKeyId=creds["AccessKeyId"])[1] == \
        "AccessDenied"


def test_credential_report_lists_the_root_and_every_user_with_awss_columns(dev):
    iam = dev.client("iam")
    # Before any report: ReportNotPresent (410), boto3 and the CLI.
    assert error_of(iam.get_credential_report) == (410, "ReportNotPresent", NOT_PRESENT)
    assert cli_error(dev.cli("iam", "get-credential-report", check=False)) == (
        "ReportNotPresent", NOT_PRESENT)

    key, secret = user_with_key(iam, "alice")
    dev.client("sts", key=key, secret=secret, region="eu-central-1").get_caller_identity()
    iam.create_user(UserName="bob", Path="/ops/")
    iam.create_login_profile(UserName="bob", Password="A-l0ng-Passw0rd!")

    first = iam.generate_credential_report()
    assert first["State"] == "STARTED"
    assert first["Description"] == "No report exists. Starting a new report generation task"
    # The usual client loop: generate until COMPLETE (the CLI here).
    for _ in range(20):
        state = json.loads(dev.cli("iam", "generate-credential-report").stdout)["State"]
        if state == "COMPLETE":
            break
        time.sleep(0.5)
    assert state == "COMPLETE"

    r = iam.get_credential_report()
    assert r["ReportFormat"] == "text/csv" and recent(r["GeneratedTime"])
    text = r["Content"].decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert [row["user"] for row in rows] == ["<root_account>", "alice", "bob"]
    root, alice, bob = rows
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert (root["password_enabled"], root["password_last_changed"],
            root["password_next_rotation"]) == ("not_supported",) * 3
    assert alice["arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert bob["arn"] == f"arn:aws:iam::{ACCOUNT}:user/ops/bob"
    assert datetime.fromisoformat(alice["user_creation_time"]).utcoffset().total_seconds() == 0
    assert alice["password_enabled"] == "false" and alice["password_last_used"] == "N/A"
    assert alice["access_key_1_active"] == "true"
    assert recent(datetime.fromisoformat(alice["access_key_1_last_rotated"]))
    assert recent(datetime.fromisoformat(alice["access_key_1_last_used_date"]))
    assert alice["access_key_1_last_used_region"] == "eu-central-1"
    assert alice["access_key_1_last_used_service"] == "sts"
    assert [alice[f"access_key_2_{c}"] for c in
            ("active", "last_rotated", "last_used_date", "last_used_region",
             "last_used_service")] == ["false", "N/A", "N/A", "N/A", "N/A"]
    assert bob["password_enabled"] == "true" and bob["password_last_used"] == "no_information"
    assert recent(datetime.fromisoformat(bob["password_last_changed"]))
    assert bob["password_next_rotation"] == "N/A"  # no password policy with a maximum age
    assert bob["access_key_1_active"] == "false" and bob["access_key_1_last_rotated"] == "N/A"
    for row in rows:
        assert (row["cert_1_active"], row["cert_1_last_rotated"],
                row["cert_2_active"], row["cert_2_last_rotated"]) == ("false", "N/A", "false", "N/A")
        assert row["mfa_active"] == "false"

    # The CLI prints the blob base64-encoded, as the query protocol carries it.
    out = json.loads(dev.cli("iam", "get-credential-report").stdout)
    assert base64.b64decode(out["Content"]).decode() == text
    assert out["ReportFormat"] == "text/csv"

    # Within four hours the report is reused: a user created now is not in it.
    iam.create_user(UserName="carol")
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    assert "carol" not in iam.get_credential_report()["Content"].decode()


def test_credential_report_operations_are_authorized_by_their_own_actions(dev):
    iam = dev.client("iam")
    key, secret = user_with_key(iam, "auditor", allow("iam:GenerateCredentialReport"))
    user_iam = dev.client("iam", key=key, secret=secret)
    assert user_iam.generate_credential_report()["State"] == "STARTED"
    status, code, msg = error_of(user_iam.get_credential_report)
    assert (status, code) == (403, "AccessDenied")
    assert "iam:GetCredentialReport" in msg and f":user/auditor" in msg
    # The root can read the report the auditor generated.
    assert "auditor" in iam.get_credential_report()["Content"].decode()


def test_last_use_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    s = Server("--dev", data_dir=data).start()
    try:
        iam = s.client("iam")
        key, secret = user_with_key(iam, "persisted")
        s.client("sts", key=key, secret=secret, region="ca-central-1").get_caller_identity()
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_account())
    finally:
        assert s.stop() == 0, s.logs()
    s = Server("--dev", data_dir=data).start()
    try:
        used = s.client("iam").get_access_key_last_used(AccessKeyId=key)["AccessKeyLastUsed"]
        assert used["ServiceName"] == "sts" and used["Region"] == "ca-central-1"
    finally:
        assert s.stop() == 0, s.logs()


def test_service_last_accessed_lists_allowed_services_with_their_last_use(dev):
    iam = dev.client("iam")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:ListSecrets", "sts:GetCallerIdentity",
                                       "iam:GetUser"], "Resource": "*"}]})
    key, secret = user_with_key(iam, "analyst", policy)
    iam.create_group(GroupName="team")
    iam.add_user_to_group(GroupName="team", UserName="analyst")
    iam.put_group_policy(GroupName="team", PolicyName="g", PolicyDocument=allow("sts:*"))
    dev.client("secretsmanager", key=key, secret=secret, region="eu-north-1").list_secrets()
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/analyst"

    job = iam.generate_service_last_accessed_details(Arn=user_arn)["JobId"]
    assert len(job) == 36
    out = iam.get_service_last_accessed_details(JobId=job)
    assert out["JobStatus"] == "COMPLETED" and out["JobType"] == "SERVICE_LEVEL"
    assert out["IsTruncated"] is False and recent(out["JobCreationDate"])
    by_ns = {s["ServiceNamespace"]: s for s in out["ServicesLastAccessed"]}
    assert list(by_ns) == ["iam", "secretsmanager", "sts"], "sorted by namespace"
    sm = by_ns["secretsmanager"]
    assert sm["ServiceName"] == "AWS Secrets Manager"
    assert sm["LastAuthenticatedEntity"] == user_arn
    assert sm["LastAuthenticatedRegion"] == "eu-north-1" and recent(sm["LastAuthenticated"])
    assert sm["TotalAuthenticatedEntities"] == 1
    assert "LastAuthenticated" not in by_ns["iam"]
    assert by_ns["iam"]["TotalAuthenticatedEntities"] == 0

    # A group's job counts its members' uses of what the group's policies allow.
    gjob = iam.generate_service_last_accessed_details(
        Arn=f"arn:aws:iam::{ACCOUNT}:group/team")["JobId"]
    gout = iam.get_service_last_accessed_details(JobId=gjob)["ServicesLastAccessed"]
    assert [s["ServiceNamespace"] for s in gout] == ["sts"]
    ents = iam.get_service_last_accessed_details_with_entities(
        JobId=gjob, ServiceNamespace="sts")["EntityDetailsList"]
    assert [e["EntityInfo"]["Name"] for e in ents] == ["analyst"]
    assert ents[0]["EntityInfo"]["Type"] == "USER"

    # The CLI, and the errors: an entity that does not exist, a job of another principal.
    cli = json.loads(dev.cli("iam", "get-service-last-accessed-details", "--job-id", job).stdout)
    assert cli["JobStatus"] == "COMPLETED"
    missing = f"arn:aws:iam::{ACCOUNT}:user/nobody"
    assert error_of(iam.generate_service_last_accessed_details, Arn=missing)[:2] == (
        404, "NoSuchEntity")
    other = dev.client("iam", key=key, secret=secret)
    status, code, _ = error_of(other.get_service_last_accessed_details, JobId=job)
    assert (status, code) == (403, "AccessDenied")  # analyst may not call it at all
    # Allowed to call it, the analyst still cannot read the root's job: only the principal that
    # generated a job may read it (aws-semantics-2.md §4.4). Not found, as for any unknown id.
    iam.put_user_policy(UserName="analyst", PolicyName="sla",
                        PolicyDocument=allow("iam:GetServiceLastAccessedDetails"))
    assert error_of(other.get_service_last_accessed_details, JobId=job)[:2] == (
        404, "NoSuchEntity")
    assert error_of(iam.get_service_last_accessed_details,
                    JobId="00000000-0000-4000-8000-000000000000")[:2] == (404, "NoSuchEntity")
