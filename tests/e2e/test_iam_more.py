"""Login profiles and GetAccountAuthorizationDetails, driven by boto3 and the aws CLI against a
real `iamd serve --dev`.

Error texts: `Login Profile for User <n> cannot be found.` (NoSuchEntity) is AWS's answer as
quoted in ansible/ansible#43197 ("It fails with error: Login Profile for User username cannot be
found."); `Login Profile for user <n> already exists.` (EntityAlreadyExists) as moto and other
emulators record it (not verified against a captured AWS response); `Cannot delete entity, must
delete login profile first.` per aws-semantics.md §7 and rebuy-de/aws-nuke#169."""

import json
import os

from conftest import fails

ACCT = "000000000000"
PASSWORD = "Zq-7unique-PassW0rd!xk"
PASSWORD2 = "Second-Unique-Pw-93kq!"
DOC = {"Version": "2012-10-17",
       "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
EC2_TRUST = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"Service": "ec2.amazonaws.com"}}]}
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def cli_json(dev, *args, **kw):
    out = dev.cli(*args, **kw).stdout
    return json.loads(out) if out.strip() else None


def assert_password_nowhere(dev, *passwords, hash_stored=False):
    """No password in the server log nor in any file of the data directory. With
    `hash_stored`, a profile exists now: its Argon2id hash must be found in the store's files
    (so the scan really covers where the store writes; not on PostgreSQL)."""
    logs = dev.logs()
    for pw in passwords:
        assert pw not in logs
    seen_hash = False
    for root, _, files in os.walk(dev.data_dir):
        for f in files:
            try:
                data = open(os.path.join(root, f), "rb").read()
            except OSError:
                continue
            seen_hash = seen_hash or b"$argon2id$v=19$" in data
            for pw in passwords:
                assert pw.encode() not in data, f"password found in {f}"
    if hash_stored and not os.environ.get("IAMD_E2E_POSTGRES_URL"):
        assert seen_hash, "the login profile's hash was not found under the data directory"


# --- login profiles ---------------------------------------------------------------------------

def test_login_profile_lifecycle_boto3(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="alice")
    assert fails(iam.get_login_profile, UserName="alice") == (
        "NoSuchEntity", "Login Profile for User alice cannot be found.", 404)
    out = iam.create_login_profile(UserName="alice", Password=PASSWORD, PasswordResetRequired=True)
    p = out["LoginProfile"]
    assert p["UserName"] == "alice" and p["PasswordResetRequired"] is True
    assert "CreateDate" in p and "Password" not in p
    assert PASSWORD not in json.dumps(out, default=str)
    # Names are case-insensitive; the answer carries the stored name.
    got = iam.get_login_profile(UserName="ALICE")["LoginProfile"]
    assert (got["UserName"], got["CreateDate"]) == ("alice", p["CreateDate"])
    assert fails(iam.create_login_profile, UserName="alice", Password=PASSWORD2) == (
        "EntityAlreadyExists", "Login Profile for user alice already exists.", 409)
    # DeleteUser refuses while the profile exists, and changes nothing.
    assert fails(iam.delete_user, UserName="alice") == (
        "DeleteConflict", "Cannot delete entity, must delete login profile first.", 409)
    assert iam.get_user(UserName="alice")["User"]["UserName"] == "alice"
    iam.update_login_profile(UserName="alice", Password=PASSWORD2, PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False
    # The profile follows a rename.
    iam.update_user(UserName="alice", NewUserName="alice2")
    assert iam.get_login_profile(UserName="alice2")["LoginProfile"]["UserName"] == "alice2"
    iam.delete_login_profile(UserName="alice2")
    assert fails(iam.delete_login_profile, UserName="alice2") == (
        "NoSuchEntity", "Login Profile for User alice2 cannot be found.", 404)
    assert fails(iam.update_login_profile, UserName="alice2", PasswordResetRequired=True) == (
        "NoSuchEntity", "Login Profile for User alice2 cannot be found.", 404)
    iam.delete_user(UserName="alice2")
    assert_password_nowhere(dev, PASSWORD, PASSWORD2)


def test_login_profile_bad_inputs_change_nothing(dev):
    iam = dev.client("iam")
    assert fails(iam.create_login_profile, UserName="ghost", Password=PASSWORD) == (
        "NoSuchEntity", "The user with name ghost cannot be found.", 404)
    assert fails(iam.get_login_profile, UserName="ghost") == (
        "NoSuchEntity", "The user with name ghost cannot be found.", 404)
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password=PASSWORD)
    before = iam.get_login_profile(UserName="bob")["LoginProfile"]
    # A second create with another flag changes nothing.
    fails(iam.create_login_profile, UserName="bob", Password=PASSWORD2, PasswordResetRequired=True)
    assert iam.get_login_profile(UserName="bob")["LoginProfile"] == before
    # Too long a password is refused by the model's length (1..128).
    raw = dev.client("iam", parameter_validation=False)
    code, msg, status = fails(raw.update_login_profile, UserName="bob", Password="x" * 129)
    assert (code, status) == ("ValidationError", 400)
    assert "x" * 129 not in msg  # the model marks the password sensitive: never echoed
    assert iam.get_login_profile(UserName="bob")["LoginProfile"] == before
    assert_password_nowhere(dev, PASSWORD, PASSWORD2, "x" * 129, hash_stored=True)


def test_login_profile_aws_cli(dev):
    dev.cli("iam", "create-user", "--user-name", "carol")
    out = cli_json(dev, "iam", "create-login-profile", "--user-name", "carol",
                   "--password", PASSWORD, "--password-reset-required")
    assert out["LoginProfile"]["UserName"] == "carol"
    assert out["LoginProfile"]["PasswordResetRequired"] is True
    got = cli_json(dev, "iam", "get-login-profile", "--user-name", "carol")
    assert got["LoginProfile"]["UserName"] == "carol"
    proc = dev.cli("iam", "delete-user", "--user-name", "carol", check=False)
    assert proc.returncode != 0 and "DeleteConflict" in proc.stderr
    assert "must delete login profile first." in proc.stderr
    dev.cli("iam", "update-login-profile", "--user-name", "carol", "--password", PASSWORD2)
    dev.cli("iam", "delete-login-profile", "--user-name", "carol")
    proc = dev.cli("iam", "get-login-profile", "--user-name", "carol", check=False)
    assert proc.returncode != 0 and "Login Profile for User carol cannot be found." in proc.stderr
    dev.cli("iam", "delete-user", "--user-name", "carol")
    assert_password_nowhere(dev, PASSWORD, PASSWORD2)


# --- GetAccountAuthorizationDetails -----------------------------------------------------------

def setup_account(iam):
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="g-inline", PolicyDocument=json.dumps(DOC))
    pol = iam.create_policy(PolicyName="local-pol", PolicyDocument=json.dumps(DOC))["Policy"]
    iam.attach_group_policy(GroupName="devs", PolicyArn=pol["Arn"])
    iam.create_user(UserName="dana", Path="/eng/", Tags=[{"Key": "team", "Value": "core"}])
    iam.add_user_to_group(GroupName="devs", UserName="dana")
    iam.put_user_policy(UserName="dana", PolicyName="u-inline", PolicyDocument=json.dumps(DOC))
    iam.attach_user_policy(UserName="dana", PolicyArn=pol["Arn"])
    iam.create_role(RoleName="ec2-role", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.attach_role_policy(RoleName="ec2-role", PolicyArn=SSM_CORE)
    iam.put_role_policy(RoleName="ec2-role", PolicyName="r-inline", PolicyDocument=json.dumps(DOC))
    iam.create_instance_profile(InstanceProfileName="ec2-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="ec2-profile", RoleName="ec2-role")
    return pol


def test_gaad_shapes_boto3(dev):
    iam = dev.client("iam")
    pol = setup_account(iam)
    d = iam.get_account_authorization_details()
    assert d["IsTruncated"] is False
    [u] = d["UserDetailList"]
    assert u["UserName"] == "dana" and u["Path"] == "/eng/"
    assert u["Arn"] == f"arn:aws:iam::{ACCT}:user/eng/dana"
    assert u["GroupList"] == ["devs"]
    # botocore decodes URL-encoded policy documents into dicts.
    assert u["UserPolicyList"] == [{"PolicyName": "u-inline", "PolicyDocument": DOC}]
    assert u["AttachedManagedPolicies"] == [{"PolicyName": "local-pol", "PolicyArn": pol["Arn"]}]
    assert u["Tags"] == [{"Key": "team", "Value": "core"}]
    [g] = d["GroupDetailList"]
    assert g["GroupName"] == "devs"
    assert g["GroupPolicyList"] == [{"PolicyName": "g-inline", "PolicyDocument": DOC}]
    assert g["AttachedManagedPolicies"] == [{"PolicyName": "local-pol", "PolicyArn": pol["Arn"]}]
    [r] = d["RoleDetailList"]
    assert r["RoleName"] == "ec2-role" and r["AssumeRolePolicyDocument"] == EC2_TRUST
    assert r["RolePolicyList"] == [{"PolicyName": "r-inline", "PolicyDocument": DOC}]
    assert r["AttachedManagedPolicies"] == [
        {"PolicyName": "AmazonSSMManagedInstanceCore", "PolicyArn": SSM_CORE}]
    [ip] = r["InstanceProfileList"]
    assert ip["InstanceProfileName"] == "ec2-profile"
    assert [x["RoleName"] for x in ip["Roles"]] == ["ec2-role"]
    assert r["RoleLastUsed"] == {}
    by_arn = {p["Arn"]: p for p in d["Policies"]}
    # Customer managed policies, and only the AWS managed ones attached in this account.
    assert set(by_arn) == {pol["Arn"], SSM_CORE}
    local = by_arn[pol["Arn"]]
    assert local["AttachmentCount"] == 2 and local["DefaultVersionId"] == "v1"
    assert [(v["VersionId"], v["IsDefaultVersion"], v["Document"])
            for v in local["PolicyVersionList"]] == [("v1", True, DOC)]
    assert by_arn[SSM_CORE]["AttachmentCount"] == 1
    assert by_arn[SSM_CORE]["PolicyVersionList"][0]["IsDefaultVersion"] is True


def test_gaad_filters_and_pagination(dev):
    iam = dev.client("iam")
    pol = setup_account(iam)
    d = iam.get_account_authorization_details(Filter=["User"])
    assert [u["UserName"] for u in d["UserDetailList"]] == ["dana"]
    assert d["GroupDetailList"] == [] and d["RoleDetailList"] == [] and d["Policies"] == []
    d = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])
    assert [p["Arn"] for p in d["Policies"]] == [pol["Arn"]]
    d = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])
    assert [p["Arn"] for p in d["Policies"]] == [SSM_CORE]
    d = iam.get_account_authorization_details(Filter=["Role", "Group"])
    assert [r["RoleName"] for r in d["RoleDetailList"]] == ["ec2-role"]
    assert [g["GroupName"] for g in d["GroupDetailList"]] == ["devs"]
    assert d["UserDetailList"] == []
    # Pagination walks the combined sequence one item at a time.
    seen, marker = [], None
    while True:
        kw = {"MaxItems": 1, **({"Marker": marker} if marker else {})}
        page = iam.get_account_authorization_details(**kw)
        items = (page["UserDetailList"] + page["GroupDetailList"] + page["RoleDetailList"]
                 + page["Policies"])
        assert len(items) == 1
        seen.append(items[0].get("UserName") or items[0].get("GroupName")
                    or items[0].get("RoleName") or items[0].get("PolicyName"))
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert seen == ["dana", "devs", "ec2-role", "local-pol", "AmazonSSMManagedInstanceCore"]
    # The paginator gives the same.
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        PaginationConfig={"PageSize": 2})
    assert sum(len(p["UserDetailList"]) + len(p["Policies"]) for p in pages) == 3


def test_gaad_bad_inputs(dev):
    iam = dev.client("iam")
    code, _, status = fails(iam.get_account_authorization_details, Filter=["Bogus"])
    assert (code, status) == ("ValidationError", 400)
    assert fails(iam.get_account_authorization_details, Marker="%%%") == (
        "ValidationError", "Invalid Marker.", 400)
    raw = dev.client("iam", parameter_validation=False)
    code, _, status = fails(raw.get_account_authorization_details, MaxItems=0)
    assert (code, status) == ("ValidationError", 400)


def test_gaad_aws_cli(dev):
    iam = dev.client("iam")
    setup_account(iam)
    d = cli_json(dev, "iam", "get-account-authorization-details", "--filter", "User", "Role")
    [u] = d["UserDetailList"]
    assert u["GroupList"] == ["devs"]
    # The CLI prints the decoded document, as for get-user-policy.
    assert u["UserPolicyList"][0]["PolicyDocument"] == DOC
    assert d["RoleDetailList"][0]["InstanceProfileList"][0]["InstanceProfileName"] == "ec2-profile"
    assert d["GroupDetailList"] == [] and d["Policies"] == []


def test_gaad_denied_without_permission(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="weak")
    iam.put_user_policy(UserName="weak", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="weak")["AccessKey"]
    weak = dev.client("iam", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    code, msg, status = fails(weak.get_account_authorization_details)
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:GetAccountAuthorizationDetails" in msg
    code, msg, status = fails(weak.create_login_profile, UserName="weak", Password=PASSWORD)
    assert (code, status) == ("AccessDenied", 403)
    assert f"on resource: arn:aws:iam::{ACCT}:user/weak" in msg
    assert fails(iam.get_login_profile, UserName="weak")[0] == "NoSuchEntity"
