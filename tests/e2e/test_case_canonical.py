"""IAM names are unique case-insensitively ("Names are not distinguished by case",
API_CreateUser), so a request naming `alice` acts on the user `Alice`: it must be authorized on
`Alice`'s own ARN (stored path and case) and tags, never on an ARN built from the text sent
(issue #11, finding 1: a Deny on `user/Alice`, or on its tags, was bypassed by changing the case).

Each test gives a caller `iam:*` and one explicit Deny — on the entities' canonical ARNs, or on
`aws:ResourceTag/protected=true`, or on their boundary — then names an entity in another case:
the request must be refused with AWS's AccessDenied on the canonical ARN, and change nothing.
Functions `test_a_*` cover groups, roles, boundaries, inline and attached policies and instance
profiles; `test_b_*` access keys, managed policies, MFA devices, login profiles and the account.
"""

import json
import re

import botocore
import botocore.session
import pytest

from conftest import ROOT, error_of

# --- port-a: groups, roles, boundaries, inline and attached policies, instance profiles ---------

A_ACCT = "000000000000"
A_OPS_DIR = ROOT / "crates" / "iamd-iam" / "src" / "ops"
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
    """The operations of port-a's typed tables (`Entry::<IamDomain, o::Name>::OP`)."""
    ops = set()
    for name in A_FILES:
        f = A_OPS_DIR / name
        if f.exists():
            ops |= set(re.findall(r"Entry::<\s*\w+,\s*o::([A-Za-z]+)\s*>::OP", f.read_text()))
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
    `iam:PermissionsBoundary` (the table IAM_BOUNDARY_ACTIONS, wherever it lives in crates/),
    except those setting one."""
    table = None
    for f in sorted((ROOT / "crates").rglob("*.rs")):
        table = re.search(r"const IAM_BOUNDARY_ACTIONS: &\[&str\] = &\[(.*?)\];", f.read_text(), re.S)
        if table:
            break
    assert table, "IAM_BOUNDARY_ACTIONS not found under crates/"
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
ACCT = "000000000000"
PASSWORD = "Correct-Horse-9!"
TYPED = ROOT / "crates" / "iamd-iam" / "src" / "ops"

# Members that name an existing IAM entity.
NAMING = {"UserName", "GroupName", "RoleName", "PolicyArn", "SerialNumber", "InstanceProfileName"}


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def typed_operations(*files):
    """The operations of the typed IAM tables in `files` (those that exist)."""
    ops = set()
    for f in files:
        if (TYPED / f).exists():
            ops |= set(re.findall(r"Entry::<\s*\w+,\s*o::([A-Za-z]+)\s*>::OP", (TYPED / f).read_text()))
    return ops


def naming_operations(*files):
    """The typed operations of `files` whose input names an existing entity."""
    model = botocore.session.get_session().get_service_model("iam")
    def members(op):
        shape = model.operation_model(op).input_shape
        return set(shape.members) if shape else set()
    return {op for op in typed_operations(*files) if NAMING & members(op)}


def call(client, op, params):
    method = {v: k for k, v in client.meta.method_to_api_mapping.items()}[op]
    return getattr(client, method)(**params)


# --- access keys, managed policies, MFA devices, login profiles, account (port-b) ----------------

B_FILES = ("users.rs", "access_keys.rs", "policies.rs", "mfa.rs", "login.rs", "account.rs")
B_USER = f"arn:aws:iam::{ACCT}:user/b/Alice"
B_POLICY = f"arn:aws:iam::{ACCT}:policy/b/Pol"
B_MFA = f"arn:aws:iam::{ACCT}:mfa/b/Phone"
B_POLICY_LC = f"arn:aws:iam::{ACCT}:policy/b/pol"
B_MFA_LC = f"arn:aws:iam::{ACCT}:mfa/b/phone"
PROTECTED = [{"Key": "protected", "Value": "true"}]
S3_DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})

# Operation → (parameters naming the world's entities in another case, the canonical ARN the
# request must be authorized on). `{key}` is Alice's access key id.
B_CASES = {
    "GetUser": ({"UserName": "alice"}, B_USER),
    "UpdateUser": ({"UserName": "ALICE", "NewPath": "/moved/"}, B_USER),
    "DeleteUser": ({"UserName": "alice"}, B_USER),
    "TagUser": ({"UserName": "alice", "Tags": [{"Key": "k", "Value": "v"}]}, B_USER),
    "UntagUser": ({"UserName": "alice", "TagKeys": ["protected"]}, B_USER),
    "ListUserTags": ({"UserName": "alice"}, B_USER),
    "CreateAccessKey": ({"UserName": "alice"}, B_USER),
    "ListAccessKeys": ({"UserName": "alice"}, B_USER),
    "UpdateAccessKey": ({"UserName": "alice", "AccessKeyId": "{key}", "Status": "Inactive"}, B_USER),
    "DeleteAccessKey": ({"UserName": "alice", "AccessKeyId": "{key}"}, B_USER),
    # Names no user, but acts on the key's owner.
    "GetAccessKeyLastUsed": ({"AccessKeyId": "{key}"}, B_USER),
    "GetPolicy": ({"PolicyArn": B_POLICY_LC}, B_POLICY),
    "DeletePolicy": ({"PolicyArn": B_POLICY_LC}, B_POLICY),
    "CreatePolicyVersion": ({"PolicyArn": B_POLICY_LC, "PolicyDocument": S3_DOC}, B_POLICY),
    "GetPolicyVersion": ({"PolicyArn": B_POLICY_LC, "VersionId": "v1"}, B_POLICY),
    "DeletePolicyVersion": ({"PolicyArn": B_POLICY_LC, "VersionId": "v2"}, B_POLICY),
    "ListPolicyVersions": ({"PolicyArn": B_POLICY_LC}, B_POLICY),
    "SetDefaultPolicyVersion": ({"PolicyArn": B_POLICY_LC, "VersionId": "v2"}, B_POLICY),
    "TagPolicy": ({"PolicyArn": B_POLICY_LC, "Tags": [{"Key": "k", "Value": "v"}]}, B_POLICY),
    "UntagPolicy": ({"PolicyArn": B_POLICY_LC, "TagKeys": ["protected"]}, B_POLICY),
    "ListPolicyTags": ({"PolicyArn": B_POLICY_LC}, B_POLICY),
    "ListEntitiesForPolicy": ({"PolicyArn": B_POLICY_LC}, B_POLICY),
    "EnableMFADevice": ({"UserName": "alice", "SerialNumber": B_MFA_LC, "AuthenticationCode1": "123456",
                         "AuthenticationCode2": "654321"}, B_USER),
    "ResyncMFADevice": ({"UserName": "alice", "SerialNumber": B_MFA_LC, "AuthenticationCode1": "123456",
                         "AuthenticationCode2": "654321"}, B_USER),
    "DeactivateMFADevice": ({"UserName": "alice", "SerialNumber": B_MFA_LC}, B_USER),
    "ListMFADevices": ({"UserName": "alice"}, B_USER),
    "DeleteVirtualMFADevice": ({"SerialNumber": B_MFA_LC}, B_MFA),
    "CreateLoginProfile": ({"UserName": "alice", "Password": PASSWORD + "x"}, B_USER),
    "GetLoginProfile": ({"UserName": "alice"}, B_USER),
    "UpdateLoginProfile": ({"UserName": "alice", "PasswordResetRequired": True}, B_USER),
    "DeleteLoginProfile": ({"UserName": "alice"}, B_USER),
}


def b_world(dev, deny):
    """Alice (path /b/) with an access key and a login profile, the managed policy Pol (/b/,
    two versions) and the virtual MFA device Phone (/b/), all tagged protected=true; and an IAM
    client for `b-admin`, allowed `iam:*` except what `deny` (a statement) denies."""
    root = dev.client("iam")
    root.create_user(UserName="Alice", Path="/b/", Tags=PROTECTED)
    key = root.create_access_key(UserName="Alice")["AccessKey"]["AccessKeyId"]
    root.create_login_profile(UserName="Alice", Password=PASSWORD)
    pol = root.create_policy(PolicyName="Pol", Path="/b/", Tags=PROTECTED, PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))["Policy"]["Arn"]
    assert pol == B_POLICY
    root.create_policy_version(PolicyArn=pol, PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}))
    serial = root.create_virtual_mfa_device(VirtualMFADeviceName="Phone", Path="/b/",
                                            Tags=PROTECTED)["VirtualMFADevice"]["SerialNumber"]
    assert serial == B_MFA
    root.create_user(UserName="b-admin")
    root.put_user_policy(UserName="b-admin", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, deny))
    k = root.create_access_key(UserName="b-admin")["AccessKey"]
    return root, dev.client("iam", key=k["AccessKeyId"], secret=k["SecretAccessKey"]), key


def b_snapshot(root):
    """What the requests could change."""
    pol = root.get_policy(PolicyArn=B_POLICY)["Policy"]
    return {
        "keys": [(k["AccessKeyId"], k["Status"])
                 for k in root.list_access_keys(UserName="Alice")["AccessKeyMetadata"]],
        "login": root.get_login_profile(UserName="Alice")["LoginProfile"]["PasswordResetRequired"],
        "mfa": [(d["SerialNumber"], d.get("User", {}).get("UserName"))
                for d in root.list_virtual_mfa_devices()["VirtualMFADevices"]],
        "policy": (pol["DefaultVersionId"], pol["AttachmentCount"]),
        "versions": [v["VersionId"] for v in root.list_policy_versions(PolicyArn=B_POLICY)["Versions"]],
        "tags": root.list_policy_tags(PolicyArn=B_POLICY)["Tags"],
        "users": sorted((u["UserName"], u["Path"]) for u in root.list_users()["Users"]),
        "user_tags": root.list_user_tags(UserName="Alice")["Tags"],
    }


B_DENIES = {
    "arn": {"Effect": "Deny", "Action": "iam:*", "Resource": [B_USER, B_POLICY, B_MFA]},
    "tag": {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/protected": "true"}}},
}


def test_every_typed_iam_operation_that_names_an_entity_has_a_case():
    """The acceptance of issue #11: the case-change tests cover every IAM operation that takes a
    user, group, role, policy, instance profile or MFA device name — the list read from every
    typed IAM table, not kept by hand."""
    every = naming_operations(*sorted(p.name for p in TYPED.glob("*.rs")))
    assert len(every) > 60, sorted(every)
    covered = set(A_CASES) | set(B_CASES) | set(A_CREATES) | {"CreateUser"}
    assert sorted(every - covered) == []


def test_b_cases_cover_every_ported_operation_that_names_an_entity():
    assert {"CreateAccessKey", "GetPolicy", "DeleteVirtualMFADevice"} <= naming_operations(*B_FILES)
    # CreateUser names the user it creates: authorized on that ARN (test_canonical_resources.rs).
    assert sorted(naming_operations(*B_FILES) - set(B_CASES) - {"CreateUser"}) == []
    assert sorted(set(B_CASES) - typed_operations(*B_FILES)) == []


@pytest.mark.parametrize("deny", sorted(B_DENIES))
@pytest.mark.parametrize("op", sorted(B_CASES))
def test_b_naming_an_entity_in_another_case_is_denied_on_its_canonical_arn(dev, op, deny):
    root, iam, key = b_world(dev, B_DENIES[deny])
    params, canonical = B_CASES[op]
    params = {k: v.replace("{key}", key) if isinstance(v, str) else v for k, v in params.items()}
    before = b_snapshot(root)
    status, code, message = error_of(call, iam, op, params)
    assert (status, code) == (403, "AccessDenied"), message
    assert message.startswith(
        f"User: arn:aws:iam::{ACCT}:user/b-admin is not authorized to perform: iam:{op} on "
        f"resource: {canonical} with an explicit deny"), message
    assert b_snapshot(root) == before
    # The caller is otherwise allowed: the same operation on its own user goes through.
    iam.list_access_keys(UserName="b-admin")


def test_b_a_policy_arn_in_another_case_names_the_policy(dev):
    """IAM resolves policy ARNs without regard to case (awslabs/mcp#4101: a case variant of an AWS
    managed policy's ARN attached the canonical policy); the answer shows the policy's own ARN.
    The path must still be the policy's: another path names nothing."""
    root = dev.client("iam")
    root.create_policy(PolicyName="Pol", Path="/b/", PolicyDocument=S3_DOC, Tags=PROTECTED)
    assert root.get_policy(PolicyArn=B_POLICY_LC)["Policy"]["Arn"] == B_POLICY
    root.tag_policy(PolicyArn=B_POLICY_LC.upper().replace("ARN:AWS:IAM", "arn:aws:iam"),
                    Tags=[{"Key": "k", "Value": "v"}])
    assert root.list_policy_tags(PolicyArn=B_POLICY)["Tags"] == PROTECTED + [{"Key": "k", "Value": "v"}]
    managed = root.get_policy(PolicyArn="arn:aws:iam::aws:policy/administratoraccess")["Policy"]
    assert managed["Arn"] == "arn:aws:iam::aws:policy/AdministratorAccess"
    other_path = f"arn:aws:iam::{ACCT}:policy/c/Pol"
    assert error_of(root.get_policy, PolicyArn=other_path) == (
        404, "NoSuchEntity", f"Policy {other_path} was not found.")


def test_b_a_serial_number_in_another_case_names_the_device(dev):
    """MFA device names are unique case-insensitively, like IAM's other names: a serial number
    equal to a device's own but for case names it (as policy ARNs do); another path names
    nothing."""
    root = dev.client("iam")
    root.create_virtual_mfa_device(VirtualMFADeviceName="Phone", Path="/b/")
    other_path = f"arn:aws:iam::{ACCT}:mfa/c/Phone"
    assert error_of(root.delete_virtual_mfa_device, SerialNumber=other_path) == (
        404, "NoSuchEntity", f"MFA Device with serial number {other_path} does not exist.")
    root.delete_virtual_mfa_device(SerialNumber=B_MFA_LC)
    assert root.list_virtual_mfa_devices()["VirtualMFADevices"] == []
