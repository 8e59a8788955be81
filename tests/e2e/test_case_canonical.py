"""IAM names are unique case-insensitively, so a request naming `alice` acts on the user `Alice`:
it must be authorized on `Alice`'s own ARN and tags, never on an ARN built from the text sent
(issue #11, finding 1: a Deny on `user/Alice`, or on its tags, was bypassed by changing the case).

Each test gives a caller `iam:*` and one explicit Deny — on the entities' canonical ARNs, or on
`aws:ResourceTag/protected=true` — then names an entity in another case: the request must be
refused with AWS's AccessDenied on the canonical ARN, and change nothing.
"""

import json
import re

import botocore.session
import pytest

from conftest import ROOT, error_of

ACCT = "000000000000"
PASSWORD = "Correct-Horse-9!"
TYPED = ROOT / "crates" / "iamd-service" / "src" / "iam" / "ops"

# Members that name an existing IAM entity.
NAMING = {"UserName", "GroupName", "RoleName", "PolicyArn", "SerialNumber", "InstanceProfileName"}


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def typed_operations(*files):
    """The operations of the typed IAM tables in `files` (those that exist)."""
    ops = set()
    for f in files:
        if (TYPED / f).exists():
            ops |= set(re.findall(r"Entry::<o::([A-Za-z]+)>::OP", (TYPED / f).read_text()))
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

B_FILES = ("access_keys.rs", "policies.rs", "mfa.rs", "login.rs", "account.rs")
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
        "users": sorted(u["UserName"] for u in root.list_users()["Users"]),
    }


B_DENIES = {
    "arn": {"Effect": "Deny", "Action": "iam:*", "Resource": [B_USER, B_POLICY, B_MFA]},
    "tag": {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/protected": "true"}}},
}


def test_b_cases_cover_every_ported_operation_that_names_an_entity():
    assert {"CreateAccessKey", "GetPolicy", "DeleteVirtualMFADevice"} <= naming_operations(*B_FILES)
    assert sorted(naming_operations(*B_FILES) - set(B_CASES)) == []
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
