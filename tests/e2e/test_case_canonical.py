"""A request that names an IAM entity in another case than it was created with acts on that
entity, so it is authorized on that entity: its canonical ARN (stored path and case) and its tags
(issue #11 finding 1, issue #12). IAM names are unique case-insensitively ("Names are not
distinguished by case", API_CreateUser), and ARNs in policies match case-sensitively, so
`GetGroup(GroupName="admins")` must be judged as a request on `group/ops/Admins`.

Each porter keeps its tests in its own section: functions `test_a_*` (groups, roles, boundaries,
inline and attached policies, instance profiles) and `test_b_*`."""

import json
import re

import botocore
import pytest

from conftest import ROOT, error_of

# --- port-a: groups, roles, boundaries, inline and attached policies, instance profiles ---------

A_ACCT = "000000000000"
A_OPS_DIR = ROOT / "crates" / "iamd-service" / "src" / "iam" / "ops"
A_FILES = ("groups.rs", "roles.rs", "boundaries.rs", "inline.rs", "attached.rs", "profiles.rs")


def a_doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


A_TRUST = a_doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                 "Action": "sts:AssumeRole"})
A_OTHER_TRUST = a_doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                       "Action": "sts:AssumeRole"})
A_POLICY = a_doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
A_PROTECTED = [{"Key": "protected", "Value": "true"}]

# The entities the cases name, by their canonical ARNs (mixed case, under a path).
A_ARN = {
    "user": f"arn:aws:iam::{A_ACCT}:user/eng/Alice",
    "group": f"arn:aws:iam::{A_ACCT}:group/ops/Admins",
    "role": f"arn:aws:iam::{A_ACCT}:role/svc/Deployer",
    "profile": f"arn:aws:iam::{A_ACCT}:instance-profile/web/WebServer",
    "spare": f"arn:aws:iam::{A_ACCT}:instance-profile/Spare",
}
# Groups carry no tags; the others are tagged protected=true.
A_TAGGED = {"user", "role", "profile", "spare"}
A_POLICY_ARN = f"arn:aws:iam::{A_ACCT}:policy/Attached"
A_OTHER_POLICY_ARN = f"arn:aws:iam::{A_ACCT}:policy/Other"
A_BOUNDARY_ARN = f"arn:aws:iam::{A_ACCT}:policy/Bound"
A_OTHER_BOUNDARY_ARN = f"arn:aws:iam::{A_ACCT}:policy/Bound2"

# Every ported operation that names an entity, called with the name in another case, with what
# it is authorized on. Each would change something (or read something) if it were allowed.
A_CASES = {
    # groups
    "GetGroup": ("group", dict(GroupName="admins")),
    "DeleteGroup": ("group", dict(GroupName="ADMINS")),
    "UpdateGroup": ("group", dict(GroupName="admins", NewPath="/moved/")),
    "AddUserToGroup": ("group", dict(GroupName="admins", UserName="Alice")),
    "RemoveUserFromGroup": ("group", dict(GroupName="admins", UserName="Bob")),
    "ListGroupsForUser": ("user", dict(UserName="alice")),
    # roles
    "GetRole": ("role", dict(RoleName="deployer")),
    "UpdateRole": ("role", dict(RoleName="deployer", MaxSessionDuration=7200)),
    "UpdateRoleDescription": ("role", dict(RoleName="DEPLOYER", Description="changed")),
    "UpdateAssumeRolePolicy": ("role", dict(RoleName="deployer", PolicyDocument=A_OTHER_TRUST)),
    "DeleteRole": ("role", dict(RoleName="deployer")),
    "TagRole": ("role", dict(RoleName="deployer", Tags=[{"Key": "k", "Value": "v"}])),
    "UntagRole": ("role", dict(RoleName="deployer", TagKeys=["protected"])),
    "ListRoleTags": ("role", dict(RoleName="deployer")),
    # permissions boundaries
    "PutUserPermissionsBoundary": ("user", dict(UserName="alice",
                                                PermissionsBoundary=A_OTHER_BOUNDARY_ARN)),
    "DeleteUserPermissionsBoundary": ("user", dict(UserName="alice")),
    "PutRolePermissionsBoundary": ("role", dict(RoleName="deployer",
                                                PermissionsBoundary=A_OTHER_BOUNDARY_ARN)),
    "DeleteRolePermissionsBoundary": ("role", dict(RoleName="deployer")),
    # inline policies
    **{op: (target, {**who, **args}) for target, kind, who in (
        ("user", "User", dict(UserName="alice")),
        ("group", "Group", dict(GroupName="admins")),
        ("role", "Role", dict(RoleName="deployer")))
       for op, args in (
        (f"Put{kind}Policy", dict(PolicyName="inl2", PolicyDocument=A_POLICY)),
        (f"Get{kind}Policy", dict(PolicyName="inl")),
        (f"Delete{kind}Policy", dict(PolicyName="inl")),
        (f"List{kind}Policies", {}))},
    # attached managed policies
    **{op: (target, {**who, **args}) for target, kind, who in (
        ("user", "User", dict(UserName="alice")),
        ("group", "Group", dict(GroupName="admins")),
        ("role", "Role", dict(RoleName="deployer")))
       for op, args in (
        (f"Attach{kind}Policy", dict(PolicyArn=A_OTHER_POLICY_ARN)),
        (f"Detach{kind}Policy", dict(PolicyArn=A_POLICY_ARN)),
        (f"ListAttached{kind}Policies", {}))},
    # instance profiles
    "GetInstanceProfile": ("profile", dict(InstanceProfileName="webserver")),
    "DeleteInstanceProfile": ("spare", dict(InstanceProfileName="spare")),
    "AddRoleToInstanceProfile": ("spare", dict(InstanceProfileName="SPARE", RoleName="Deployer")),
    "RemoveRoleFromInstanceProfile": ("profile", dict(InstanceProfileName="webserver",
                                                      RoleName="Builder")),
    "ListInstanceProfilesForRole": ("role", dict(RoleName="deployer")),
    "TagInstanceProfile": ("profile", dict(InstanceProfileName="webserver",
                                           Tags=[{"Key": "k", "Value": "v"}])),
    "UntagInstanceProfile": ("profile", dict(InstanceProfileName="webserver",
                                             TagKeys=["protected"])),
    "ListInstanceProfileTags": ("profile", dict(InstanceProfileName="webserver")),
}
# Ported operations that name no existing entity.
A_NO_NAME = {"ListGroups", "ListRoles", "ListInstanceProfiles"}
# Creation is authorized on the ARN being created; an existing entity in another case is refused
# with EntityAlreadyExists (test_a_create_in_another_case_changes_nothing).
A_CREATES = {
    "CreateGroup": dict(GroupName="admins", Path="/ops/"),
    "CreateRole": dict(RoleName="deployer", Path="/svc/", AssumeRolePolicyDocument=A_TRUST),
    "CreateInstanceProfile": dict(InstanceProfileName="webserver", Path="/web/"),
}


def a_ported():
    """The operations of port-a's typed tables (`Entry::<o::Name>::OP`)."""
    ops = set()
    for name in A_FILES:
        f = A_OPS_DIR / name
        if f.exists():
            ops |= set(re.findall(r"Entry::<o::([A-Za-z]+)>::OP", f.read_text()))
    return ops


def a_world(dev):
    """Alice, Bob, Admins, Deployer, Builder, WebServer and Spare, as the account root builds them."""
    iam = dev.client("iam")
    for name in ("Attached", "Other", "Bound", "Bound2"):
        iam.create_policy(PolicyName=name, PolicyDocument=A_POLICY)
    iam.create_user(UserName="Alice", Path="/eng/", Tags=A_PROTECTED,
                    PermissionsBoundary=A_BOUNDARY_ARN)
    iam.put_user_policy(UserName="Alice", PolicyName="inl", PolicyDocument=A_POLICY)
    iam.attach_user_policy(UserName="Alice", PolicyArn=A_POLICY_ARN)
    iam.create_user(UserName="Bob")
    iam.create_group(GroupName="Admins", Path="/ops/")
    iam.put_group_policy(GroupName="Admins", PolicyName="inl", PolicyDocument=A_POLICY)
    iam.attach_group_policy(GroupName="Admins", PolicyArn=A_POLICY_ARN)
    iam.add_user_to_group(GroupName="Admins", UserName="Bob")
    iam.create_role(RoleName="Deployer", Path="/svc/", AssumeRolePolicyDocument=A_TRUST,
                    Description="deploys", Tags=A_PROTECTED, PermissionsBoundary=A_BOUNDARY_ARN)
    iam.put_role_policy(RoleName="Deployer", PolicyName="inl", PolicyDocument=A_POLICY)
    iam.attach_role_policy(RoleName="Deployer", PolicyArn=A_POLICY_ARN)
    iam.create_role(RoleName="Builder", AssumeRolePolicyDocument=A_TRUST)
    iam.create_instance_profile(InstanceProfileName="WebServer", Path="/web/", Tags=A_PROTECTED)
    iam.add_role_to_instance_profile(InstanceProfileName="WebServer", RoleName="Builder")
    iam.create_instance_profile(InstanceProfileName="Spare", Tags=A_PROTECTED)
    return iam


def a_caller(dev, iam, deny):
    """The user `caller`, allowed iam:* but for `deny`; an IAM client signed as it."""
    iam.create_user(UserName="caller")
    iam.put_user_policy(UserName="caller", PolicyName="p", PolicyDocument=a_doc(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, deny))
    key = iam.create_access_key(UserName="caller")["AccessKey"]
    return dev.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])


def a_snapshot(iam):
    """Everything the cases could change."""
    gaad = iam.get_account_authorization_details()
    profiles = iam.list_instance_profiles()["InstanceProfiles"]
    return {
        "gaad": {k: v for k, v in gaad.items() if k != "ResponseMetadata"},
        "profiles": profiles,
        "profile_tags": {p["InstanceProfileName"]: iam.list_instance_profile_tags(
            InstanceProfileName=p["InstanceProfileName"])["Tags"] for p in profiles},
    }


def a_explicit_deny(op, arn):
    return (403, "AccessDenied",
            f"User: arn:aws:iam::{A_ACCT}:user/caller is not authorized to perform: iam:{op} on "
            f"resource: {arn} with an explicit deny in an identity-based policy")


def a_call(client, op, kwargs):
    return getattr(client, botocore.xform_name(op))(**kwargs)


def test_a_cases_cover_every_ported_operation_that_names_an_entity():
    ported = a_ported()
    assert ported, "no typed table of port-a found"
    assert sorted(ported - A_NO_NAME - set(A_CREATES)) == sorted(A_CASES)
    assert set(A_CREATES) <= ported


@pytest.mark.parametrize("op", sorted(A_CASES))
def test_a_deny_on_the_canonical_arn_holds_for_a_name_in_another_case(dev, op):
    iam = a_world(dev)
    caller = a_caller(dev, iam, {"Effect": "Deny", "Action": "iam:*",
                                 "Resource": sorted(A_ARN.values())})
    before = a_snapshot(iam)
    target, kwargs = A_CASES[op]
    assert error_of(a_call, caller, op, kwargs) == a_explicit_deny(op, A_ARN[target])
    assert a_snapshot(iam) == before


@pytest.mark.parametrize("op", sorted(op for op, (t, _) in A_CASES.items() if t in A_TAGGED))
def test_a_deny_on_the_resource_tag_holds_for_a_name_in_another_case(dev, op):
    iam = a_world(dev)
    caller = a_caller(dev, iam, {
        "Effect": "Deny", "Action": "iam:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/protected": "true"}}})
    before = a_snapshot(iam)
    target, kwargs = A_CASES[op]
    assert error_of(a_call, caller, op, kwargs) == a_explicit_deny(op, A_ARN[target])
    assert a_snapshot(iam) == before


def a_boundary_actions():
    """The operations whose action carries the target's current permissions boundary as
    `iam:PermissionsBoundary` (IAM_BOUNDARY_ACTIONS in authz.rs), except those setting one."""
    text = (ROOT / "crates" / "iamd-service" / "src" / "authz.rs").read_text()
    table = re.search(r"const IAM_BOUNDARY_ACTIONS: &\[&str\] = &\[(.*?)\];", text, re.S)
    assert table, "IAM_BOUNDARY_ACTIONS not found in authz.rs"
    return set(re.findall(r'"([A-Za-z]+)"', table.group(1))) - {
        "CreateUser", "CreateRole", "PutUserPermissionsBoundary", "PutRolePermissionsBoundary"}


@pytest.mark.parametrize("op", sorted(a_boundary_actions() & set(A_CASES)))
def test_a_deny_on_the_targets_boundary_holds_for_a_name_in_another_case(dev, op):
    iam = a_world(dev)
    caller = a_caller(dev, iam, {
        "Effect": "Deny", "Action": "iam:*", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PermissionsBoundary": A_BOUNDARY_ARN}}})
    before = a_snapshot(iam)
    target, kwargs = A_CASES[op]
    assert error_of(a_call, caller, op, kwargs) == a_explicit_deny(op, A_ARN[target])
    assert a_snapshot(iam) == before


@pytest.mark.parametrize("op", sorted(A_CREATES))
def test_a_create_in_another_case_changes_nothing(dev, op):
    """Creation is authorized on the ARN it would create (`group/ops/admins` is not denied), and
    the name is taken case-insensitively: EntityAlreadyExists, nothing created."""
    iam = a_world(dev)
    caller = a_caller(dev, iam, {"Effect": "Deny", "Action": "iam:*",
                                 "Resource": sorted(A_ARN.values())})
    before = a_snapshot(iam)
    status, code, _ = error_of(a_call, caller, op, A_CREATES[op])
    assert (status, code) == (409, "EntityAlreadyExists")
    assert a_snapshot(iam) == before


def test_a_update_group_needs_the_new_name_too(dev):
    """API_UpdateGroup: "If the principal has permission to update the Managers group, but not
    the MGRs group, then the update fails." """
    iam = a_world(dev)
    renamed = f"arn:aws:iam::{A_ACCT}:group/ops/Renamed"
    caller = a_caller(dev, iam, {"Effect": "Deny", "Action": "iam:UpdateGroup",
                                 "Resource": renamed})
    before = a_snapshot(iam)
    assert error_of(caller.update_group, GroupName="admins", NewGroupName="Renamed") == \
        a_explicit_deny("UpdateGroup", renamed)
    assert a_snapshot(iam) == before
    caller.update_group(GroupName="admins", NewGroupName="Managers")
    assert iam.get_group(GroupName="Managers")["Group"]["Arn"] == \
        f"arn:aws:iam::{A_ACCT}:group/ops/Managers"
