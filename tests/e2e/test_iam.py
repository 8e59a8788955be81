"""Issue 4: the IAM entity API over awsQuery, driven by boto3 and the aws CLI against a real
`iamd serve --dev`. Expected codes and texts are AWS's (aws-semantics.md §7.2 and §2.7–2.8);
where a text could not be verified against a recorded AWS response the test says so."""

import json

import botocore.exceptions
import pytest

ACCT = "000000000000"

EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"],
                   "Principal": {"Service": ["ec2.amazonaws.com"]}}],
}
DOC = {"Version": "2012-10-17",
       "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def err(e: botocore.exceptions.ClientError):
    return (e.response["Error"]["Code"], e.response["Error"].get("Message"),
            e.response["ResponseMetadata"]["HTTPStatusCode"])


def fails(fn, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(*args, **kwargs)
    return err(e.value)


def cli_json(dev, *args, **kw):
    out = dev.cli(*args, **kw).stdout
    return json.loads(out) if out.strip() else None


# --- users ------------------------------------------------------------------------------------

def test_user_lifecycle_boto3(dev):
    iam = dev.client("iam")
    u = iam.create_user(UserName="alice", Path="/eng/",
                        Tags=[{"Key": "team", "Value": "core"}])["User"]
    assert u["Arn"] == f"arn:aws:iam::{ACCT}:user/eng/alice"
    assert u["UserId"].startswith("AIDA") and len(u["UserId"]) == 21
    assert u["Tags"] == [{"Key": "team", "Value": "core"}]
    # Names are case-insensitive: lookups in any case, duplicates in any case refused.
    assert iam.get_user(UserName="ALICE")["User"]["UserId"] == u["UserId"]
    assert fails(iam.create_user, UserName="Alice") == (
        "EntityAlreadyExists", "User with name Alice already exists.", 409)
    iam.update_user(UserName="alice", NewUserName="alice2", NewPath="/ops/")
    assert fails(iam.get_user, UserName="alice") == (
        "NoSuchEntity", "The user with name alice cannot be found.", 404)
    got = iam.get_user(UserName="alice2")["User"]
    assert (got["Path"], got["UserId"]) == ("/ops/", u["UserId"])
    iam.tag_user(UserName="alice2", Tags=[{"Key": "TEAM", "Value": "x"}, {"Key": "k", "Value": ""}])
    assert iam.list_user_tags(UserName="alice2")["Tags"] == [
        {"Key": "TEAM", "Value": "x"}, {"Key": "k", "Value": ""}]
    iam.untag_user(UserName="alice2", TagKeys=["team"])
    assert iam.list_user_tags(UserName="alice2")["Tags"] == [{"Key": "k", "Value": ""}]
    iam.delete_user(UserName="alice2")
    assert iam.list_users()["Users"] == []


def test_get_user_without_name_is_the_caller_root_shape(dev):
    # The root's GetUser has no UserName/Path; UserId is the account id.
    u = dev.client("iam").get_user()["User"]
    assert u["UserId"] == ACCT
    assert u["Arn"] == f"arn:aws:iam::{ACCT}:root"
    assert "UserName" not in u and "CreateDate" in u


def test_list_users_pagination_and_path_prefix(dev):
    iam = dev.client("iam")
    for i in range(7):
        iam.create_user(UserName=f"u{i}", Path="/a/" if i % 2 else "/")
    seen, marker = [], None
    while True:
        kw = {"MaxItems": 3, **({"Marker": marker} if marker else {})}
        page = iam.list_users(**kw)
        seen += [u["UserName"] for u in page["Users"]]
        assert len(page["Users"]) <= 3
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert seen == [f"u{i}" for i in range(7)]
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/a/")["Users"]] == ["u1", "u3", "u5"]
    # boto3's paginator follows Marker/IsTruncated.
    names = [u["UserName"] for p in iam.get_paginator("list_users").paginate(
        PaginationConfig={"PageSize": 2}) for u in p["Users"]]
    assert names == seen


def test_users_with_the_aws_cli(dev):
    out = cli_json(dev, "iam", "create-user", "--user-name", "cli-user", "--path", "/x/",
                   "--tags", "Key=a,Value=b")
    assert out["User"]["Arn"] == f"arn:aws:iam::{ACCT}:user/x/cli-user"
    out = cli_json(dev, "iam", "list-users")
    assert [u["UserName"] for u in out["Users"]] == ["cli-user"]
    proc = dev.cli("iam", "get-user", "--user-name", "nobody", check=False)
    assert proc.returncode != 0
    assert "NoSuchEntity" in proc.stderr
    assert "The user with name nobody cannot be found." in proc.stderr
    dev.cli("iam", "delete-user", "--user-name", "cli-user")


def test_delete_user_conflicts(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")
    key = iam.create_access_key(UserName="u")["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName="u", PolicyName="inl", PolicyDocument=json.dumps(DOC))
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    iam.add_user_to_group(UserName="u", GroupName="g")
    steps = [
        ("must delete access keys first.", lambda: iam.delete_access_key(UserName="u", AccessKeyId=key)),
        ("must delete policies first.", lambda: iam.delete_user_policy(UserName="u", PolicyName="inl")),
        ("must detach all policies first.", lambda: iam.detach_user_policy(UserName="u", PolicyArn=arn)),
        ("must remove users from group first.", lambda: iam.remove_user_from_group(UserName="u", GroupName="g")),
    ]
    for msg, fix in steps:
        assert fails(iam.delete_user, UserName="u") == (
            "DeleteConflict", f"Cannot delete entity, {msg}", 409)
        fix()
    iam.delete_user(UserName="u")


# --- access keys: they authenticate, and stop at once -------------------------------------------

DENIED = ("User: arn:aws:iam::{acct}:user/{path}{name} is not authorized to perform: "
          "iam:CreateUser on resource: arn:aws:iam::{acct}:user/{new} because no "
          "identity-based policy allows the iam:CreateUser action")


def test_user_key_authenticates_and_is_denied_without_policies(dev):
    iam = dev.client("iam")
    u = iam.create_user(UserName="limited", Path="/team/")["User"]
    k = iam.create_access_key(UserName="limited")["AccessKey"]
    assert k["AccessKeyId"].startswith("AKIA") and k["Status"] == "Active"
    assert len(k["SecretAccessKey"]) == 40
    ident = dev.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).get_caller_identity()
    assert ident["UserId"] == u["UserId"]
    assert ident["Arn"] == f"arn:aws:iam::{ACCT}:user/team/limited"
    assert ident["Account"] == ACCT
    # Issue 4 acceptance: the exact AccessDenied text, with boto3 and with the CLI.
    user_iam = dev.client("iam", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    expected = DENIED.format(acct=ACCT, path="team/", name="limited", new="newbie")
    assert fails(user_iam.create_user, UserName="newbie") == ("AccessDenied", expected, 403)
    proc = dev.cli("iam", "create-user", "--user-name", "newbie", key=k["AccessKeyId"],
                   secret=k["SecretAccessKey"], check=False)
    assert proc.returncode != 0 and expected in proc.stderr, proc.stderr
    # Nothing was created.
    assert [x["UserName"] for x in iam.list_users()["Users"]] == ["limited"]


def test_inactive_and_deleted_keys_fail_at_once(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="k")
    k = iam.create_access_key(UserName="k")["AccessKey"]
    sts = dev.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
    sts.get_caller_identity()
    iam.update_access_key(UserName="k", AccessKeyId=k["AccessKeyId"], Status="Inactive")
    assert fails(sts.get_caller_identity) == (
        "InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    assert iam.list_access_keys(UserName="k")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    iam.update_access_key(UserName="k", AccessKeyId=k["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Arn"].endswith(":user/k")
    iam.delete_access_key(UserName="k", AccessKeyId=k["AccessKeyId"])
    assert fails(sts.get_caller_identity)[0] == "InvalidClientTokenId"
    assert fails(iam.delete_access_key, UserName="k", AccessKeyId=k["AccessKeyId"]) == (
        "NoSuchEntity", f"The Access Key with id {k['AccessKeyId']} cannot be found.", 404)


def test_access_key_quota_and_listing(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="q")
    ids = {iam.create_access_key(UserName="q")["AccessKey"]["AccessKeyId"] for _ in range(2)}
    assert fails(iam.create_access_key, UserName="q") == (
        "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
    listed = iam.list_access_keys(UserName="q")["AccessKeyMetadata"]
    assert {k["AccessKeyId"] for k in listed} == ids
    assert all("SecretAccessKey" not in k and k["UserName"] == "q" for k in listed)
    last = iam.get_access_key_last_used(AccessKeyId=sorted(ids)[0])
    assert last["UserName"] == "q"
    assert last["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    out = cli_json(dev, "iam", "list-access-keys", "--user-name", "q")
    assert len(out["AccessKeyMetadata"]) == 2


def test_renamed_user_key_follows(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="before")
    k = iam.create_access_key(UserName="before")["AccessKey"]
    iam.update_user(UserName="before", NewUserName="after", NewPath="/p/")
    ident = dev.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCT}:user/p/after"


# --- groups -----------------------------------------------------------------------------------

def test_groups(dev):
    iam = dev.client("iam")
    g = iam.create_group(GroupName="devs", Path="/eng/")["Group"]
    assert g["GroupId"].startswith("AGPA")
    assert g["Arn"] == f"arn:aws:iam::{ACCT}:group/eng/devs"
    for n in ["a", "b", "c"]:
        iam.create_user(UserName=n)
        iam.add_user_to_group(GroupName="devs", UserName=n)
    page = iam.get_group(GroupName="devs", MaxItems=2)
    assert [u["UserName"] for u in page["Users"]] == ["a", "b"] and page["IsTruncated"]
    rest = iam.get_group(GroupName="devs", Marker=page["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == ["c"] and not rest["IsTruncated"]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName="b")["Groups"]] == ["devs"]
    iam.update_group(GroupName="devs", NewGroupName="developers")
    assert [x["GroupName"] for x in iam.list_groups()["Groups"]] == ["developers"]
    assert len(iam.get_group(GroupName="developers")["Users"]) == 3
    assert fails(iam.delete_group, GroupName="developers") == (
        "DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    for n in ["a", "b", "c"]:
        iam.remove_user_from_group(GroupName="developers", UserName=n)
    iam.put_group_policy(GroupName="developers", PolicyName="gp", PolicyDocument=json.dumps(DOC))
    assert iam.list_group_policies(GroupName="developers")["PolicyNames"] == ["gp"]
    assert iam.get_group_policy(GroupName="developers", PolicyName="gp")["PolicyDocument"] == DOC
    assert fails(iam.delete_group, GroupName="developers") == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_group_policy(GroupName="developers", PolicyName="gp")
    iam.delete_group(GroupName="developers")
    assert fails(iam.get_group, GroupName="developers") == (
        "NoSuchEntity", "The group with name developers cannot be found.", 404)


# --- roles ------------------------------------------------------------------------------------

def test_roles(dev):
    iam = dev.client("iam")
    r = iam.create_role(RoleName="app", Path="/svc/", AssumeRolePolicyDocument=json.dumps(EC2_TRUST),
                        Description="d", MaxSessionDuration=7200,
                        Tags=[{"Key": "a", "Value": "1"}])["Role"]
    assert r["RoleId"].startswith("AROA")
    assert r["Arn"] == f"arn:aws:iam::{ACCT}:role/svc/app"
    got = iam.get_role(RoleName="APP")["Role"]
    # boto3 decodes the URL-encoded document back to the JSON it was given.
    assert got["AssumeRolePolicyDocument"] == EC2_TRUST
    assert (got["Description"], got["MaxSessionDuration"]) == ("d", 7200)
    assert got["Tags"] == [{"Key": "a", "Value": "1"}]
    iam.update_role(RoleName="app", Description="new", MaxSessionDuration=43200)
    out = iam.update_role_description(RoleName="app", Description="newer")["Role"]
    assert out["Description"] == "newer" and out["MaxSessionDuration"] == 43200
    trust2 = dict(EC2_TRUST, Statement=[dict(EC2_TRUST["Statement"][0], Principal={"Service": "lambda.amazonaws.com"})])
    iam.update_assume_role_policy(RoleName="app", PolicyDocument=json.dumps(trust2))
    assert iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == trust2
    assert fails(iam.create_role, RoleName="App", AssumeRolePolicyDocument=json.dumps(EC2_TRUST)) == (
        "EntityAlreadyExists", "Role with name App already exists.", 409)
    iam.tag_role(RoleName="app", Tags=[{"Key": "b", "Value": "2"}])
    assert len(iam.list_role_tags(RoleName="app")["Tags"]) == 2
    iam.untag_role(RoleName="app", TagKeys=["a", "b"])
    assert iam.list_role_tags(RoleName="app")["Tags"] == []
    listed = iam.list_roles(PathPrefix="/svc/")["Roles"]
    assert [x["RoleName"] for x in listed] == ["app"]
    assert listed[0]["AssumeRolePolicyDocument"] == trust2
    iam.delete_role(RoleName="app")
    assert fails(iam.get_role, RoleName="app") == (
        "NoSuchEntity", "The role with name app cannot be found.", 404)


def test_get_role_document_is_url_encoded_on_the_wire(dev):
    import awsraw
    dev.client("iam").create_role(RoleName="raw", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    r = awsraw.query(dev.url, "iam", "Action=GetRole&Version=2010-05-08&RoleName=raw")
    assert r.status_code == 200
    assert "<AssumeRolePolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22" in r.text, r.text


# --- managed policies -------------------------------------------------------------------------

def test_managed_policies_and_versions(dev):
    iam = dev.client("iam")
    p = iam.create_policy(PolicyName="pol", Path="/app/", PolicyDocument=json.dumps(DOC),
                          Description="desc")["Policy"]
    arn = p["Arn"]
    assert arn == f"arn:aws:iam::{ACCT}:policy/app/pol"
    assert p["PolicyId"].startswith("ANPA") and p["DefaultVersionId"] == "v1"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Description"] == "desc"
    for i in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC),
                                      SetAsDefault=(i == 5))["PolicyVersion"]
        assert v["VersionId"] == f"v{i}"
    assert fails(iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(DOC)) == (
        "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new "
        "version, you must delete an existing version.", 409)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in versions] == [True, False, False, False, False]
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"] == DOC
    assert fails(iam.delete_policy_version, PolicyArn=arn, VersionId="v5")[:2] == (
        "DeleteConflict", "Cannot delete the default version of a policy.")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    for v in ["v2", "v3", "v4", "v5"]:
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "t", "Value": "v"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "t", "Value": "v"}]
    iam.untag_policy(PolicyArn=arn, TagKeys=["t"])
    assert [x["Arn"] for x in iam.list_policies(Scope="Local")["Policies"]] == [arn]
    assert iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"] == []
    assert iam.list_policies(Scope="AWS")["Policies"] == []
    iam.delete_policy(PolicyArn=arn)
    assert fails(iam.get_policy, PolicyArn=arn) == (
        "NoSuchEntity", f"Policy {arn} was not found.", 404)


def test_attach_detach_and_entities(dev):
    iam = dev.client("iam")
    arn = iam.create_policy(PolicyName="shared", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    iam.attach_group_policy(GroupName="g", PolicyArn=arn)
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    for fn, kw in [(iam.list_attached_user_policies, {"UserName": "u"}),
                   (iam.list_attached_group_policies, {"GroupName": "g"}),
                   (iam.list_attached_role_policies, {"RoleName": "r"})]:
        assert fn(**kw)["AttachedPolicies"] == [{"PolicyName": "shared", "PolicyArn": arn}]
    e = iam.list_entities_for_policy(PolicyArn=arn)
    assert [x["UserName"] for x in e["PolicyUsers"]] == ["u"]
    assert [x["GroupName"] for x in e["PolicyGroups"]] == ["g"]
    assert [x["RoleName"] for x in e["PolicyRoles"]] == ["r"]
    # Paged together: groups, then users, then roles.
    p1 = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert (len(p1["PolicyGroups"]), len(p1["PolicyUsers"]), p1["PolicyRoles"]) == (1, 1, [])
    assert p1["IsTruncated"]
    p2 = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2, Marker=p1["Marker"])
    assert (p2["PolicyGroups"], p2["PolicyUsers"], len(p2["PolicyRoles"])) == ([], [], 1)
    assert not p2["IsTruncated"]
    only_roles = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert (only_roles["PolicyUsers"], len(only_roles["PolicyRoles"])) == ([], 1)
    assert [x["Arn"] for x in iam.list_policies(OnlyAttached=True)["Policies"]] == [arn]
    assert fails(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    iam.detach_user_policy(UserName="u", PolicyArn=arn)
    iam.detach_group_policy(GroupName="g", PolicyArn=arn)
    iam.detach_role_policy(RoleName="r", PolicyArn=arn)
    assert fails(iam.detach_role_policy, RoleName="r", PolicyArn=arn) == (
        "NoSuchEntity", f"Policy {arn} was not found.", 404)
    iam.delete_policy(PolicyArn=arn)


def test_permissions_boundaries(dev):
    iam = dev.client("iam")
    pb = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    u = iam.create_user(UserName="b", PermissionsBoundary=pb)["User"]
    # "Policy", not the model enum's "PermissionsBoundaryPolicy": API_AttachedPermissionsBoundary
    # ("can only have a value of Policy") and the AWS CLI's get-user example output.
    assert u["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy",
                                        "PermissionsBoundaryArn": pb}
    iam.delete_user_permissions_boundary(UserName="b")
    assert "PermissionsBoundary" not in iam.get_user(UserName="b")["User"]
    iam.put_user_permissions_boundary(UserName="b", PermissionsBoundary=pb)
    assert iam.get_user(UserName="b")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == pb
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary=pb)
    assert iam.get_role(RoleName="r")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == pb
    assert iam.get_policy(PolicyArn=pb)["Policy"]["PermissionsBoundaryUsageCount"] == 2
    assert iam.get_policy(PolicyArn=pb)["Policy"]["AttachmentCount"] == 0
    # ListEntitiesForPolicy's PolicyUsageFilter (cloud-nuke uses PermissionsBoundary to find what
    # to detach before deleting a policy, gruntwork-io/cloud-nuke#973): boundary users and roles,
    # none as permissions policy; without the filter "all policies are returned"
    # (API_ListEntitiesForPolicy), so both uses count.
    iam.attach_role_policy(RoleName="r", PolicyArn=pb)
    names = lambda e: ([x["UserName"] for x in e["PolicyUsers"]], [x["RoleName"] for x in e["PolicyRoles"]])
    assert names(iam.list_entities_for_policy(PolicyArn=pb, PolicyUsageFilter="PermissionsBoundary")) \
        == (["b"], ["r"])
    assert names(iam.list_entities_for_policy(PolicyArn=pb, PolicyUsageFilter="PermissionsPolicy")) \
        == ([], ["r"])
    assert names(iam.list_entities_for_policy(PolicyArn=pb)) == (["b"], ["r"])
    iam.detach_role_policy(RoleName="r", PolicyArn=pb)
    # A policy in use as a boundary cannot be deleted (gruntwork-io/cloud-nuke#972: AWS answered
    # DeleteConflict until the boundary was removed), and the refusal changes nothing.
    assert fails(iam.delete_policy, PolicyArn=pb) == (
        "DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    assert iam.get_policy(PolicyArn=pb)["Policy"]["PermissionsBoundaryUsageCount"] == 2
    iam.delete_role_permissions_boundary(RoleName="r")
    assert iam.list_policies(Scope="Local")["Policies"][0]["PermissionsBoundaryUsageCount"] == 1
    assert "PermissionsBoundary" not in iam.get_role(RoleName="r")["Role"]
    assert fails(iam.delete_policy, PolicyArn=pb)[0] == "DeleteConflict"
    iam.delete_user_permissions_boundary(UserName="b")
    iam.delete_policy(PolicyArn=pb)


# --- instance profiles and the seeds ----------------------------------------------------------

def test_instance_profiles(dev):
    iam = dev.client("iam")
    iam.create_role(RoleName="r1", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.create_role(RoleName="r2", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    ip = iam.create_instance_profile(InstanceProfileName="ip", Path="/x/")["InstanceProfile"]
    assert ip["InstanceProfileId"].startswith("AIPA") and ip["Roles"] == []
    assert ip["Arn"] == f"arn:aws:iam::{ACCT}:instance-profile/x/ip"
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="r1")
    assert fails(iam.add_role_to_instance_profile, InstanceProfileName="ip", RoleName="r2") == (
        "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)
    got = iam.get_instance_profile(InstanceProfileName="ip")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["r1"]
    assert [p["InstanceProfileName"] for p in
            iam.list_instance_profiles_for_role(RoleName="r1")["InstanceProfiles"]] == ["ip"]
    assert iam.list_instance_profiles_for_role(RoleName="r2")["InstanceProfiles"] == []
    assert fails(iam.delete_role, RoleName="r1") == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    assert fails(iam.delete_instance_profile, InstanceProfileName="ip")[0] == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName="ip", RoleName="r1")
    iam.delete_instance_profile(InstanceProfileName="ip")
    assert fails(iam.get_instance_profile, InstanceProfileName="ip") == (
        "NoSuchEntity", "Instance Profile ip cannot be found.", 404)
    assert iam.get_account_summary()["SummaryMap"]["Roles"] == 2


def seed_000_client_steps(dev, via_cli):
    """Seed 000, client side: a policy allowing sts:AssumeRole on the provider's role, a role
    trusted by ec2.amazonaws.com with it attached, and an instance profile holding the role."""
    provider_role = "arn:aws:iam::111111111111:role/CustomerSecretsAccessRole"
    assume = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": provider_role}]}
    if via_cli:
        arn = cli_json(dev, "iam", "create-policy", "--policy-name", "AssumeProviderRole",
                       "--policy-document", json.dumps(assume))["Policy"]["Arn"]
        cli_json(dev, "iam", "create-role", "--role-name", "ModelzInsightsEC2Role",
                 "--description", "EC2 role for the ModelzInsights app",
                 "--assume-role-policy-document", json.dumps(EC2_TRUST))
        dev.cli("iam", "attach-role-policy", "--role-name", "ModelzInsightsEC2Role",
                "--policy-arn", arn)
        dev.cli("iam", "create-instance-profile", "--instance-profile-name", "ModelzInsightsEC2")
        dev.cli("iam", "add-role-to-instance-profile", "--instance-profile-name",
                "ModelzInsightsEC2", "--role-name", "ModelzInsightsEC2Role")
    else:
        iam = dev.client("iam")
        arn = iam.create_policy(PolicyName="AssumeProviderRole",
                                PolicyDocument=json.dumps(assume))["Policy"]["Arn"]
        iam.create_role(RoleName="ModelzInsightsEC2Role", Description="EC2 role for the ModelzInsights app",
                        AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        iam.attach_role_policy(RoleName="ModelzInsightsEC2Role", PolicyArn=arn)
        iam.create_instance_profile(InstanceProfileName="ModelzInsightsEC2")
        iam.add_role_to_instance_profile(InstanceProfileName="ModelzInsightsEC2",
                                         RoleName="ModelzInsightsEC2Role")
    return arn, assume


@pytest.mark.parametrize("via_cli", [False, True], ids=["boto3", "cli"])
def test_seed_000_client_steps(dev, via_cli):
    arn, assume = seed_000_client_steps(dev, via_cli)
    iam = dev.client("iam")
    role = iam.get_role(RoleName="ModelzInsightsEC2Role")["Role"]
    assert role["AssumeRolePolicyDocument"] == EC2_TRUST
    assert iam.list_attached_role_policies(RoleName="ModelzInsightsEC2Role")["AttachedPolicies"] == [
        {"PolicyName": "AssumeProviderRole", "PolicyArn": arn}]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert doc == assume
    ip = iam.get_instance_profile(InstanceProfileName="ModelzInsightsEC2")["InstanceProfile"]
    assert [r["Arn"] for r in ip["Roles"]] == [role["Arn"]]
    out = cli_json(dev, "iam", "list-instance-profiles-for-role", "--role-name", "ModelzInsightsEC2Role")
    assert [p["InstanceProfileName"] for p in out["InstanceProfiles"]] == ["ModelzInsightsEC2"]


SEED_003_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"},
    ],
}


def seed_003_inline(role_arn):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn},
        {"Effect": "Allow", "Action": "ssm:CreateActivation", "Resource": "*"},
        {"Effect": "Allow", "Action": "ssm:AddTagsToResource", "Resource": role_arn},
    ]}


def test_seed_003_sagemaker_role(dev):
    name = "AmazonSageMaker-ExecutionRole-20260101T000000"
    out = cli_json(dev, "iam", "create-role", "--role-name", name, "--path", "/service-role/",
                   "--assume-role-policy-document", json.dumps(SEED_003_TRUST))
    role_arn = out["Role"]["Arn"]
    assert role_arn == f"arn:aws:iam::{ACCT}:role/service-role/{name}"
    dev.cli("iam", "put-role-policy", "--role-name", name, "--policy-name", "SageMakerSSMPolicy",
            "--policy-document", json.dumps(seed_003_inline(role_arn)))
    iam = dev.client("iam")
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["SageMakerSSMPolicy"]
    got = iam.get_role_policy(RoleName=name, PolicyName="SageMakerSSMPolicy")
    assert got["RoleName"] == name and got["PolicyDocument"] == seed_003_inline(role_arn)
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == SEED_003_TRUST
    # Seed 003 step 1c: the AWS managed policies, attached by ARN (boto3 and the CLI).
    ssm_core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    logs_full = "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"
    iam.attach_role_policy(RoleName=name, PolicyArn=ssm_core)
    dev.cli("iam", "attach-role-policy", "--role-name", name, "--policy-arn", logs_full)
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert sorted(attached, key=lambda p: p["PolicyName"]) == [
        {"PolicyName": "AmazonSSMManagedInstanceCore", "PolicyArn": ssm_core},
        {"PolicyName": "CloudWatchLogsFullAccess", "PolicyArn": logs_full},
    ]
    got = iam.get_policy(PolicyArn=ssm_core)["Policy"]
    assert got["Arn"] == ssm_core and got["PolicyName"] == "AmazonSSMManagedInstanceCore"
    doc = iam.get_policy_version(PolicyArn=ssm_core, VersionId=got["DefaultVersionId"])
    actions = [a for st in doc["PolicyVersion"]["Document"]["Statement"]
               for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])]
    assert "ssm:UpdateInstanceInformation" in actions
    # A policy AWS does not have is not attachable.
    missing = "arn:aws:iam::aws:policy/NoSuchAwsManagedPolicy"
    assert fails(iam.attach_role_policy, RoleName=name, PolicyArn=missing) == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)


# --- bad inputs: each with AWS's error, and none changes anything --------------------------------

def snapshot(iam):
    return {
        "users": iam.list_users()["Users"],
        "groups": iam.list_groups()["Groups"],
        "roles": iam.list_roles()["Roles"],
        "policies": iam.list_policies()["Policies"],
        "profiles": iam.list_instance_profiles()["InstanceProfiles"],
        "user": iam.get_user(UserName="base")["User"],
        "user_keys": iam.list_access_keys(UserName="base")["AccessKeyMetadata"],
        "user_policies": iam.list_user_policies(UserName="base")["PolicyNames"],
        "user_attached": iam.list_attached_user_policies(UserName="base")["AttachedPolicies"],
        "user_groups": iam.list_groups_for_user(UserName="base")["Groups"],
        "role": iam.get_role(RoleName="base")["Role"],
        "role_policies": iam.list_role_policies(RoleName="base")["PolicyNames"],
        "versions": iam.list_policy_versions(PolicyArn=f"arn:aws:iam::{ACCT}:policy/base")["Versions"],
        "profile": iam.get_instance_profile(InstanceProfileName="base")["InstanceProfile"],
    }


def padded(doc, n):
    """`doc` with a Sid of n characters: valid, and as large as the test needs."""
    d = json.loads(json.dumps(doc))
    d["Statement"][0]["Sid"] = "x" * n
    return json.dumps(d)


BIG_TRUST = padded(EC2_TRUST, 2100)
BASE_ARN = f"arn:aws:iam::{ACCT}:policy/base"
MISSING_ARN = f"arn:aws:iam::{ACCT}:policy/missing"
TWO_KB = padded(DOC, 2000)

# (operation, kwargs, code, message, status)
BAD_INPUTS = [
    ("create_user", {"UserName": "BASE"}, "EntityAlreadyExists", "User with name BASE already exists.", 409),
    ("create_user", {"UserName": "t", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]},
     "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400),
    ("create_user", {"UserName": "pb", "PermissionsBoundary": MISSING_ARN},
     "NoSuchEntity", f"Scope ARN: {MISSING_ARN} does not exist or is not attachable.", 404),
    ("get_user", {"UserName": "ghost"}, "NoSuchEntity", "The user with name ghost cannot be found.", 404),
    ("update_user", {"UserName": "base", "NewUserName": "other"}, "EntityAlreadyExists",
     "User with name other already exists.", 409),
    ("update_user", {"UserName": "ghost", "NewPath": "/x/"}, "NoSuchEntity",
     "The user with name ghost cannot be found.", 404),
    ("delete_user", {"UserName": "base"}, "DeleteConflict",
     "Cannot delete entity, must delete access keys first.", 409),
    ("tag_user", {"UserName": "base", "Tags": [{"Key": f"k{i}", "Value": ""} for i in range(50)]},
     "LimitExceeded", "Cannot exceed quota for TagsPerUser: 50", 409),
    ("create_access_key", {"UserName": "base"}, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409),
    ("create_access_key", {"UserName": "ghost"}, "NoSuchEntity", "The user with name ghost cannot be found.", 404),
    ("update_access_key", {"UserName": "other", "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "Status": "Inactive"},
     "NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.", 404),
    ("create_group", {"GroupName": "Base"}, "EntityAlreadyExists", "Group with name Base already exists.", 409),
    ("add_user_to_group", {"GroupName": "ghost", "UserName": "base"}, "NoSuchEntity",
     "The group with name ghost cannot be found.", 404),
    ("add_user_to_group", {"GroupName": "base", "UserName": "ghost"}, "NoSuchEntity",
     "The user with name ghost cannot be found.", 404),
    ("delete_group", {"GroupName": "base"}, "DeleteConflict",
     "Cannot delete entity, must remove users from group first.", 409),
    ("create_role", {"RoleName": "BASE", "AssumeRolePolicyDocument": json.dumps(EC2_TRUST)}, "EntityAlreadyExists",
     "Role with name BASE already exists.", 409),
    ("create_role", {"RoleName": "r", "AssumeRolePolicyDocument": "{not json"}, "MalformedPolicyDocument",
     "This policy contains invalid Json", 400),
    ("create_role", {"RoleName": "r", "AssumeRolePolicyDocument": BIG_TRUST}, "LimitExceeded",
     "Cannot exceed quota for ACLSizePerRole: 2048", 409),
    ("update_assume_role_policy", {"RoleName": "base", "PolicyDocument": "nope"}, "MalformedPolicyDocument",
     "This policy contains invalid Json", 400),
    ("delete_role", {"RoleName": "base"}, "DeleteConflict",
     "Cannot delete entity, must remove roles from instance profile first.", 409),
    ("get_role", {"RoleName": "ghost"}, "NoSuchEntity", "The role with name ghost cannot be found.", 404),
    ("create_policy", {"PolicyName": "BASE", "PolicyDocument": json.dumps(DOC)}, "EntityAlreadyExists",
     "A policy called BASE already exists. Duplicate names are not allowed.", 409),
    ("create_policy", {"PolicyName": "p", "PolicyDocument": "["}, "MalformedPolicyDocument",
     "This policy contains invalid Json", 400),
    ("create_policy", {"PolicyName": "p", "PolicyDocument": padded(DOC, 6200)},
     "LimitExceeded", "Cannot exceed quota for PolicySize: 6144", 409),
    ("get_policy", {"PolicyArn": MISSING_ARN}, "NoSuchEntity", f"Policy {MISSING_ARN} was not found.", 404),
    ("delete_policy", {"PolicyArn": BASE_ARN}, "DeleteConflict", "Cannot delete a policy attached to entities.", 409),
    ("create_policy_version", {"PolicyArn": BASE_ARN, "PolicyDocument": "{x"}, "MalformedPolicyDocument",
     "This policy contains invalid Json", 400),
    ("delete_policy_version", {"PolicyArn": BASE_ARN, "VersionId": "v1"}, "DeleteConflict",
     "Cannot delete the default version of a policy.", 409),
    ("attach_user_policy", {"UserName": "base", "PolicyArn": MISSING_ARN}, "NoSuchEntity",
     f"Policy {MISSING_ARN} does not exist or is not attachable.", 404),
    ("put_user_policy", {"UserName": "base", "PolicyName": "big", "PolicyDocument": TWO_KB},
     "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user base", 409),
    ("put_user_policy", {"UserName": "base", "PolicyName": "bad", "PolicyDocument": "{"},
     "MalformedPolicyDocument", "This policy contains invalid Json", 400),
    ("get_user_policy", {"UserName": "base", "PolicyName": "ghost"}, "NoSuchEntity",
     "The user policy with name ghost cannot be found.", 404),
    ("get_role_policy", {"RoleName": "base", "PolicyName": "ghost"}, "NoSuchEntity",
     "The role policy with name ghost cannot be found.", 404),
    ("create_instance_profile", {"InstanceProfileName": "BASE"}, "EntityAlreadyExists",
     "Instance Profile BASE already exists.", 409),
    ("add_role_to_instance_profile", {"InstanceProfileName": "base", "RoleName": "other"}, "LimitExceeded",
     "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409),
    ("delete_instance_profile", {"InstanceProfileName": "base"}, "DeleteConflict",
     "Cannot delete entity, must remove roles from instance profile first.", 409),
    # Model validation (botocore's own checks are off for these): iamd-api's messages.
    ("create_role", {"RoleName": "r", "AssumeRolePolicyDocument": json.dumps(EC2_TRUST), "MaxSessionDuration": 100},
     "ValidationError", None, 400),
    # IAM's own text for a name's characters (see test_iam_bad_inputs.py for its sources).
    ("create_user", {"UserName": "bad name!"}, "ValidationError",
     "The specified value for userName is invalid. It must contain only alphanumeric characters and/or "
     "the following: +=,.@_-", 400),
    ("update_access_key", {"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "Status": "Maybe"}, "ValidationError", None, 400),
]


def test_bad_inputs_fail_with_aws_errors_and_change_nothing(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="base", Tags=[{"Key": "t", "Value": "v"}])
    iam.create_user(UserName="other")
    for _ in range(2):
        iam.create_access_key(UserName="base")
    iam.create_group(GroupName="base")
    iam.add_user_to_group(GroupName="base", UserName="base")
    iam.create_role(RoleName="base", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.create_policy(PolicyName="base", PolicyDocument=json.dumps(DOC))
    iam.attach_role_policy(RoleName="base", PolicyArn=BASE_ARN)
    iam.create_instance_profile(InstanceProfileName="base")
    iam.add_role_to_instance_profile(InstanceProfileName="base", RoleName="base")
    before = snapshot(iam)
    raw = dev.client("iam", parameter_validation=False)
    for op, kwargs, code, message, status in BAD_INPUTS:
        got = fails(getattr(raw, op), **kwargs)
        assert got[0] == code and got[2] == status, (op, kwargs, got)
        if message is not None:
            assert got[1] == message, (op, got)
        else:
            assert got[1].startswith("1 validation error detected: "), (op, got)
        assert snapshot(iam) == before, f"{op} {kwargs} changed state"


# --- accounts are separate; the root's own keys ---------------------------------------------------

def test_accounts_do_not_see_each_other(dev):
    a = dev.client("iam")
    b = dev.client("iam", key="111111111111")
    a.create_user(UserName="shared-name")
    a.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    assert b.list_users()["Users"] == [] and b.list_roles()["Roles"] == []
    assert fails(b.get_user, UserName="shared-name")[0] == "NoSuchEntity"
    # The same name is free in the other account.
    u = b.create_user(UserName="shared-name")["User"]
    assert u["Arn"] == "arn:aws:iam::111111111111:user/shared-name"
    arn_a = a.create_policy(PolicyName="p", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    # Another account's customer managed policy cannot be attached.
    assert fails(b.attach_user_policy, UserName="shared-name", PolicyArn=arn_a) == (
        "NoSuchEntity", f"Policy {arn_a} does not exist or is not attachable.", 404)


def test_root_access_keys(dev):
    iam = dev.client("iam", key="222222222222")
    k = iam.create_access_key()["AccessKey"]
    assert "UserName" not in k
    ident = dev.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::222222222222:root"
    assert [x["AccessKeyId"] for x in iam.list_access_keys()["AccessKeyMetadata"]] == [k["AccessKeyId"]]
    assert iam.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 1
    iam.delete_access_key(AccessKeyId=k["AccessKeyId"])
    assert iam.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 0
