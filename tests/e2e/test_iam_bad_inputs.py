"""Bad input for every IAM operation iamd implements (issue #4): each row is one operation, one
bad request, and AWS's exact answer (HTTP status, error code, message); every row also proves the
request changed nothing (a snapshot of the whole account before and after). The operations are
read from iamd's operation tables, so an operation added without a row fails
`test_every_implemented_iam_operation_has_a_row`.

Where the texts come from (AWS-recorded unless said otherwise):
- LocalStack's snapshot tests, recorded against AWS in 2026 (localstack/localstack
  tests/aws/services/iam/test_iam_{users,groups,roles,instance_profiles,mfa}.snapshot.json):
  NoSuchEntity/EntityAlreadyExists/DeleteConflict texts for users, groups, roles, instance
  profiles, login profiles, access keys, attached and inline policies; `Invalid Marker.` as
  ValidationError; GetAccessKeyLastUsed on an unknown key being AccessDenied; removing a
  non-member user from a group succeeding; `Role X in Instance Profile Y cannot be found.`;
  `MFA device already exists.`; `MFA Device with serial number X does not exist.`; the path
  message of CreateVirtualMFADevice.
- IAM's name-character message (`The specified value for roleName is invalid. ...`) as AWS
  answered it in aws-amplify/amplify-cli#9120, spacelift-io/terraform-aws-spacelift-workerpool-
  on-ec2#41, shashankprasanna/torchserve-examples#7 (roleName), a DeleteGroupPolicy CLI transcript
  (policyName) and a GetGroup transcript (groupName).
- DeleteUser while the user is in a group: `Cannot delete entity, must remove users from group
  first.` as AWS answered DeleteUser in mozilla-services/userplex#17 (2016), the same text
  DeleteGroup answers for a group with members (go-to-k/delstack#40, hashicorp/terraform#29147).
- test_iam_policies (same LocalStack recordings): `Policy <arn> version vN does not exist or is
  not attachable.` also for a policy that does not exist; `Duplicate tag keys found.` for
  policies, whose tag keys are case-sensitive (users' and roles' are not, and carry IAM's note:
  AWS's CreateRole answer in a Terraform transcript).
- Generic `N validation error(s) detected: Value at '…' failed to satisfy constraint: …` texts
  are rendered from botocore's model constraints (crates/iamd-api/src/validate.rs); IAM omits
  the value in them, as every 2026 recording above shows.

- test_iam_roles (same LocalStack recordings): `ValidationError: ARN <x> is not valid.` for a
  policy ARN that is not one (AttachRolePolicy; GetPolicy and PutRolePermissionsBoundary share
  iamd's ARN parser), `Value at 'tags' … less than or equal to 50`, and a bad element of a list
  (UntagRole's TagKeys) answered with every constraint of the element type.

Password policy rows: see the sources in test_iam_password_policy.py.

Unverified (iamd's text, no AWS recording found): UpdateUser onto an existing name and with a
bad NewPath (by analogy with UpdateGroup and CreateVirtualMFADevice), the policy-grammar texts (MalformedPolicyDocument
`Policy statement must contain resources.`, `Syntax errors in policy.`), EnableMFADevice's
`Authentication code for device is not valid.`, and the simulator's `The entity with ARN …
cannot be found.`; where an enum sits among a list element's constraints
(GetAccountAuthorizationDetails' Filter).
"""

import json
import re
from pathlib import Path

import botocore.exceptions
import pytest
import requests

from awsraw import query, xml_error

ROOT = Path(__file__).resolve().parents[2]
ACCT = "000000000000"
A = f"arn:aws:iam::{ACCT}"
POL = f"{A}:policy/pol"
FIVE = f"{A}:policy/five"
MISSING = f"{A}:policy/ghost"
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
MFA = f"{A}:mfa/dev-mfa"
PASSWORD = "Passw0rd!Passw0rd!"


def build_world(iam):
    """The account every row runs against: something of every kind, so each bad request has a
    neighbour it could wrongly change."""
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_access_key(UserName="alice")
    iam.create_login_profile(UserName="alice", Password=PASSWORD)
    iam.put_user_policy(UserName="alice", PolicyName="alice-inline", PolicyDocument=DOC)
    for name in ("full", "bob2", "ingroup"):
        iam.create_user(UserName=name)
    for _ in range(2):
        iam.create_access_key(UserName="full")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="ingroup")
    iam.put_group_policy(GroupName="devs", PolicyName="devs-inline", PolicyDocument=DOC)
    iam.create_policy(PolicyName="pol", PolicyDocument=DOC, Tags=[{"Key": "k", "Value": "v"}])
    iam.create_policy(PolicyName="five", PolicyDocument=DOC)
    for _ in range(4):
        iam.create_policy_version(PolicyArn=FIVE, PolicyDocument=DOC)
    iam.attach_group_policy(GroupName="devs", PolicyArn=POL)
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "k", "Value": "v"}])
    iam.put_role_policy(RoleName="app", PolicyName="app-inline", PolicyDocument=DOC)
    for name in ("spare", "attached"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="attached", PolicyArn=POL)
    iam.create_instance_profile(InstanceProfileName="ip", Tags=[{"Key": "k", "Value": "v"}])
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="app")
    iam.create_instance_profile(InstanceProfileName="empty-ip")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="dev-mfa", Tags=[{"Key": "k", "Value": "v"}])


def snapshot(iam):
    """Everything a bad request could have changed."""
    gaad = iam.get_account_authorization_details()
    users = [u["UserName"] for u in gaad["UserDetailList"]]
    profiles = iam.list_instance_profiles()["InstanceProfiles"]
    local = [p["Arn"] for p in gaad["Policies"]]

    def login(u):
        try:
            return iam.get_login_profile(UserName=u)["LoginProfile"]
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]

    def password_policy():
        try:
            return iam.get_account_password_policy()["PasswordPolicy"]
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]

    return {
        "gaad": {k: v for k, v in gaad.items() if k != "ResponseMetadata"},
        "keys": {u: iam.list_access_keys(UserName=u)["AccessKeyMetadata"] for u in users},
        "logins": {u: login(u) for u in users},
        "password_policy": password_policy(),
        "user_tags": {u: iam.list_user_tags(UserName=u)["Tags"] for u in users},
        "mfa": iam.list_virtual_mfa_devices()["VirtualMFADevices"],
        "mfa_tags": [d.get("Tags") for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]],
        "profiles": profiles,
        "profile_tags": {p["InstanceProfileName"]: iam.list_instance_profile_tags(
            InstanceProfileName=p["InstanceProfileName"])["Tags"] for p in profiles},
        "policy_tags": {a: iam.list_policy_tags(PolicyArn=a)["Tags"] for a in local},
        "summary": iam.get_account_summary()["SummaryMap"],
    }


@pytest.fixture(scope="module")
def world(dev_server):
    requests.post(f"{dev_server.url}/_iamd/reset", timeout=10).raise_for_status()
    iam = dev_server.client("iam")
    build_world(iam)
    return {"server": dev_server, "pristine": snapshot(iam)}


@pytest.fixture
def iam_world(world):
    """The world, rebuilt first if an earlier row broke it (so one failure does not cascade)."""
    iam = world["server"].client("iam")
    if snapshot(iam) != world["pristine"]:
        requests.post(f"{world['server'].url}/_iamd/reset", timeout=10).raise_for_status()
        build_world(iam)
        world["pristine"] = snapshot(iam)
    return world


def method(client, op):
    return getattr(client, re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower().replace("m_f_a", "mfa"))


# (operation, bad parameters, HTTP status, error code, message). botocore's own parameter
# checks are off, so the server sees exactly these parameters.
ROWS = [
    ("CreateUser", {"UserName": "bad name!"},
     400, 'ValidationError', 'The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-'),
    ("CreateUser", {"UserName": "ALICE"},
     409, 'EntityAlreadyExists', 'User with name ALICE already exists.'),
    ("CreateUser", {},
     400, 'ValidationError', "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"),
    ("GetUser", {"UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    # Unverified for UpdateUser; UpdateGroup onto an existing name is recorded with this shape.
    ("UpdateUser", {"UserName": "alice", "NewUserName": "FULL"},
     409, 'EntityAlreadyExists', 'User with name FULL already exists.'),
    ("UpdateUser", {"UserName": "alice", "NewPath": "no-slash"},
     400, 'ValidationError', 'The specified value for newPath is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.'),
    ("DeleteUser", {"UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    # DeleteUser of a group member: AWS answered exactly this in mozilla-services/userplex#17
    # ("aws: failed to delete aws user \"bob\": DeleteConflict: Cannot delete entity, must remove
    # users from group first."), the text DeleteGroup gives for a group with members.
    ("DeleteUser", {"UserName": "ingroup"},
     409, 'DeleteConflict', 'Cannot delete entity, must remove users from group first.'),
    ("ListUsers", {"PathPrefix": "no-slash"},
     400, 'ValidationError', "1 validation error detected: Value at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*"),
    ("ListUsers", {"MaxItems": 0},
     400, 'ValidationError', "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"),
    ("TagUser", {"UserName": "alice", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]},
     400, 'InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.'),
    ("TagUser", {"UserName": "alice", "Tags": [{"Key": "bad*key", "Value": "1"}]},
     400, 'ValidationError', "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"),
    ("UntagUser", {"UserName": "ghost", "TagKeys": ["team"]},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("ListUserTags", {"UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("CreateAccessKey", {"UserName": "full"},
     409, 'LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2'),
    ("ListAccessKeys", {"UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("UpdateAccessKey", {"UserName": "alice", "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "Status": "Maybe"},
     400, 'ValidationError', "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"),
    ("UpdateAccessKey", {"UserName": "alice", "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "Status": "Inactive"},
     404, 'NoSuchEntity', 'The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.'),
    ("DeleteAccessKey", {"UserName": "alice", "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"},
     404, 'NoSuchEntity', 'The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.'),
    ("GetAccessKeyLastUsed", {"AccessKeyId": "short"},
     400, 'ValidationError', "1 validation error detected: Value at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16"),
    # AWS refuses an unknown key as not authorized, even to the root, with no colon after
    # "perform" (LocalStack test_iam_users `get-last-used-nonexistent-key-error`).
    ("GetAccessKeyLastUsed", {"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"},
     403, 'AccessDenied', 'User: arn:aws:iam::000000000000:root is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key AKIAAAAAAAAAAAAAAAAA'),
    ("CreateGroup", {"GroupName": "DEVS"},
     409, 'EntityAlreadyExists', 'Group with name DEVS already exists.'),
    ("GetGroup", {"GroupName": "ghost"},
     404, 'NoSuchEntity', 'The group with name ghost cannot be found.'),
    ("GetGroup", {"GroupName": "dev*"},
     400, 'ValidationError', 'The specified value for groupName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-'),
    ("DeleteGroup", {"GroupName": "devs"},
     409, 'DeleteConflict', 'Cannot delete entity, must remove users from group first.'),
    ("ListGroups", {"MaxItems": 1001},
     400, 'ValidationError', "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"),
    ("UpdateGroup", {"GroupName": "ghost", "NewGroupName": "x"},
     404, 'NoSuchEntity', 'The group with name ghost cannot be found.'),
    ("AddUserToGroup", {"GroupName": "devs", "UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("RemoveUserFromGroup", {"GroupName": "ghost", "UserName": "alice"},
     404, 'NoSuchEntity', 'The group with name ghost cannot be found.'),
    ("RemoveUserFromGroup", {"GroupName": "ghost", "UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("ListGroupsForUser", {"UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": TRUST, "MaxSessionDuration": 100},
     400, 'ValidationError', "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"),
    ("CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{nope"},
     400, 'MalformedPolicyDocument', 'This policy contains invalid Json'),
    ("CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": TRUST, "Tags": [{"Key": f"k{i}", "Value": ""} for i in range(51)]},
     400, 'ValidationError', "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"),
    ("GetRole", {"RoleName": "ghost"},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    # An ARN where a name belongs: IAM's own text, though the length is wrong too
    # (shashankprasanna/torchserve-examples#7).
    ("GetRole", {"RoleName": f"{A}:role/app"},
     400, 'ValidationError', 'The specified value for roleName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-'),
    ("GetRole", {"RoleName": "r" * 65},
     400, 'ValidationError', "1 validation error detected: Value at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"),
    ("UpdateRole", {"RoleName": "app", "MaxSessionDuration": 50000},
     400, 'ValidationError', "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"),
    ("UpdateRoleDescription", {"RoleName": "ghost", "Description": "d"},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    ("UpdateAssumeRolePolicy", {"RoleName": "app", "PolicyDocument": "nope"},
     400, 'MalformedPolicyDocument', 'This policy contains invalid Json'),
    ("DeleteRole", {"RoleName": "app"},
     409, 'DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.'),
    ("DeleteRole", {"RoleName": "attached"},
     409, 'DeleteConflict', 'Cannot delete entity, must detach all policies first.'),
    ("ListRoles", {"MaxItems": 1001},
     400, 'ValidationError', "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"),
    ("ListRoles", {"Marker": "not-a-marker"},
     400, 'ValidationError', 'Invalid Marker.'),
    ("TagRole", {"RoleName": "app", "Tags": [{"Key": "k", "Value": "v" * 257}]},
     400, 'ValidationError', "1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"),
    ("TagRole", {"RoleName": "app", "Tags": [{"Key": "Env", "Value": "a"}, {"Key": "env", "Value": "b"}]},
     400, 'InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.'),
    ("UntagRole", {"RoleName": "ghost", "TagKeys": ["k"]},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    ("UntagRole", {"RoleName": "app", "TagKeys": ["k", "k" * 129]},
     400, 'ValidationError', "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+, Member must not be null]"),
    ("ListRoleTags", {"RoleName": "ghost"},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    ("PutUserPermissionsBoundary", {"UserName": "alice", "PermissionsBoundary": MISSING},
     404, 'NoSuchEntity', 'Scope ARN: arn:aws:iam::000000000000:policy/ghost does not exist or is not attachable.'),
    ("DeleteUserPermissionsBoundary", {"UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("PutRolePermissionsBoundary", {"RoleName": "app", "PermissionsBoundary": "arn:aws:iam::aws:nope"},
     400, 'ValidationError', 'ARN arn:aws:iam::aws:nope is not valid.'),
    ("DeleteRolePermissionsBoundary", {"RoleName": "ghost"},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    ("CreatePolicy", {"PolicyName": "POL", "PolicyDocument": DOC},
     409, 'EntityAlreadyExists', 'A policy called POL already exists. Duplicate names are not allowed.'),
    ("CreatePolicy", {"PolicyName": "p2", "PolicyDocument": DOC, "Tags": [{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}]},
     400, 'InvalidInput', 'Duplicate tag keys found.'),
    ("CreatePolicy", {"PolicyName": "p", "PolicyDocument": DOC, "Path": "no-slash"},
     400, 'ValidationError', "1 validation error detected: Value at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/"),
    ("GetPolicy", {"PolicyArn": MISSING},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/ghost was not found.'),
    ("GetPolicy", {"PolicyArn": "not-an-arn-at-all-xxxxx"},
     400, 'ValidationError', 'ARN not-an-arn-at-all-xxxxx is not valid.'),
    ("DeletePolicy", {"PolicyArn": POL},
     409, 'DeleteConflict', 'Cannot delete a policy attached to entities.'),
    ("ListPolicies", {"Scope": "Everything"},
     400, 'ValidationError', "1 validation error detected: Value at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"),
    ("CreatePolicyVersion", {"PolicyArn": FIVE, "PolicyDocument": DOC},
     409, 'LimitExceeded', 'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.'),
    ("GetPolicyVersion", {"PolicyArn": POL, "VersionId": "v9"},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/pol version v9 does not exist or is not attachable.'),
    ("GetPolicyVersion", {"PolicyArn": MISSING, "VersionId": "v1"},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/ghost version v1 does not exist or is not attachable.'),
    ("GetPolicyVersion", {"PolicyArn": POL, "VersionId": "x1"},
     400, 'ValidationError', "1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"),
    ("DeletePolicyVersion", {"PolicyArn": POL, "VersionId": "v1"},
     409, 'DeleteConflict', 'Cannot delete the default version of a policy.'),
    ("DeletePolicyVersion", {"PolicyArn": POL, "VersionId": "v9"},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/pol version v9 does not exist or is not attachable.'),
    ("ListPolicyVersions", {"PolicyArn": MISSING},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/ghost was not found.'),
    ("SetDefaultPolicyVersion", {"PolicyArn": POL, "VersionId": "1"},
     400, 'ValidationError', "1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"),
    ("SetDefaultPolicyVersion", {"PolicyArn": POL, "VersionId": "v7"},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/pol version v7 does not exist or is not attachable.'),
    ("SetDefaultPolicyVersion", {"PolicyArn": MISSING, "VersionId": "v1"},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/ghost version v1 does not exist or is not attachable.'),
    ("TagPolicy", {"PolicyArn": MISSING, "Tags": [{"Key": "k", "Value": "v"}]},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/ghost was not found.'),
    ("TagPolicy", {"PolicyArn": POL, "Tags": [{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}]},
     400, 'InvalidInput', 'Duplicate tag keys found.'),
    ("UntagPolicy", {"PolicyArn": MISSING, "TagKeys": ["k"]},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/ghost was not found.'),
    ("ListPolicyTags", {"PolicyArn": MISSING},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/ghost was not found.'),
    ("ListEntitiesForPolicy", {"PolicyArn": POL, "EntityFilter": "Robot"},
     400, 'ValidationError', "1 validation error detected: Value at 'entityFilter' failed to satisfy constraint: Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"),
    ("PutUserPolicy", {"UserName": "alice", "PolicyName": "p", "PolicyDocument": "{"},
     400, 'MalformedPolicyDocument', 'This policy contains invalid Json'),
    ("PutUserPolicy", {"UserName": "alice", "PolicyName": "bad name", "PolicyDocument": DOC},
     400, 'ValidationError', 'The specified value for policyName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-'),
    ("GetUserPolicy", {"UserName": "alice", "PolicyName": "ghost"},
     404, 'NoSuchEntity', 'The user policy with name ghost cannot be found.'),
    ("DeleteUserPolicy", {"UserName": "alice", "PolicyName": "ghost"},
     404, 'NoSuchEntity', 'The user policy with name ghost cannot be found.'),
    ("ListUserPolicies", {"UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("PutGroupPolicy", {"GroupName": "ghost", "PolicyName": "p", "PolicyDocument": DOC},
     404, 'NoSuchEntity', 'The group with name ghost cannot be found.'),
    ("GetGroupPolicy", {"GroupName": "devs", "PolicyName": "ghost"},
     404, 'NoSuchEntity', 'The group policy with name ghost cannot be found.'),
    ("DeleteGroupPolicy", {"GroupName": "devs", "PolicyName": "ghost"},
     404, 'NoSuchEntity', 'The group policy with name ghost cannot be found.'),
    ("DeleteGroupPolicy", {"GroupName": "devs", "PolicyName": "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
     400, 'ValidationError', 'The specified value for policyName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-'),
    ("ListGroupPolicies", {"GroupName": "ghost"},
     404, 'NoSuchEntity', 'The group with name ghost cannot be found.'),
    ("PutRolePolicy", {"RoleName": "app", "PolicyName": "p", "PolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]})},
     400, 'MalformedPolicyDocument', 'Policy statement must contain resources.'),
    ("GetRolePolicy", {"RoleName": "app", "PolicyName": "ghost"},
     404, 'NoSuchEntity', 'The role policy with name ghost cannot be found.'),
    ("DeleteRolePolicy", {"RoleName": "app", "PolicyName": "ghost"},
     404, 'NoSuchEntity', 'The role policy with name ghost cannot be found.'),
    ("ListRolePolicies", {"RoleName": "ghost"},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    ("AttachUserPolicy", {"UserName": "alice", "PolicyArn": MISSING},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/ghost does not exist or is not attachable.'),
    ("DetachUserPolicy", {"UserName": "alice", "PolicyArn": FIVE},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/five was not found.'),
    ("ListAttachedUserPolicies", {"UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("AttachGroupPolicy", {"GroupName": "ghost", "PolicyArn": POL},
     404, 'NoSuchEntity', 'The group with name ghost cannot be found.'),
    ("DetachGroupPolicy", {"GroupName": "devs", "PolicyArn": FIVE},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::000000000000:policy/five was not found.'),
    ("ListAttachedGroupPolicies", {"GroupName": "ghost"},
     404, 'NoSuchEntity', 'The group with name ghost cannot be found.'),
    ("AttachRolePolicy", {"RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/NoSuchAwsPolicy"},
     404, 'NoSuchEntity', 'Policy arn:aws:iam::aws:policy/NoSuchAwsPolicy does not exist or is not attachable.'),
    ("AttachRolePolicy", {"RoleName": "app", "PolicyArn": "longpolicynamebutnoarn"},
     400, 'ValidationError', 'ARN longpolicynamebutnoarn is not valid.'),
    ("DetachRolePolicy", {"RoleName": "ghost", "PolicyArn": POL},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    ("ListAttachedRolePolicies", {"RoleName": "ghost"},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    ("CreateInstanceProfile", {"InstanceProfileName": "IP"},
     409, 'EntityAlreadyExists', 'Instance Profile IP already exists.'),
    ("GetInstanceProfile", {"InstanceProfileName": "ghost"},
     404, 'NoSuchEntity', 'Instance Profile ghost cannot be found.'),
    ("DeleteInstanceProfile", {"InstanceProfileName": "ip"},
     409, 'DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.'),
    ("ListInstanceProfiles", {"PathPrefix": "x"},
     400, 'ValidationError', "1 validation error detected: Value at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*"),
    ("AddRoleToInstanceProfile", {"InstanceProfileName": "ip", "RoleName": "spare"},
     409, 'LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1'),
    ("AddRoleToInstanceProfile", {"InstanceProfileName": "empty-ip", "RoleName": "ghost"},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    ("RemoveRoleFromInstanceProfile", {"InstanceProfileName": "empty-ip", "RoleName": "app"},
     404, 'NoSuchEntity', 'Role app in Instance Profile empty-ip cannot be found.'),
    ("RemoveRoleFromInstanceProfile", {"InstanceProfileName": "ghost", "RoleName": "app"},
     404, 'NoSuchEntity', 'Instance Profile ghost cannot be found.'),
    ("ListInstanceProfilesForRole", {"RoleName": "ghost"},
     404, 'NoSuchEntity', 'The role with name ghost cannot be found.'),
    ("TagInstanceProfile", {"InstanceProfileName": "ghost", "Tags": [{"Key": "k", "Value": "v"}]},
     404, 'NoSuchEntity', 'Instance Profile ghost cannot be found.'),
    ("UntagInstanceProfile", {"InstanceProfileName": "ghost", "TagKeys": ["k"]},
     404, 'NoSuchEntity', 'Instance Profile ghost cannot be found.'),
    ("ListInstanceProfileTags", {"InstanceProfileName": "ghost"},
     404, 'NoSuchEntity', 'Instance Profile ghost cannot be found.'),
    ("CreateVirtualMFADevice", {"VirtualMFADeviceName": "dev-mfa"},
     409, 'EntityAlreadyExists', 'MFA device already exists.'),
    ("CreateVirtualMFADevice", {"VirtualMFADeviceName": "bad name"},
     400, 'ValidationError', 'The specified value for virtualMFADeviceName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-'),
    ("CreateVirtualMFADevice", {"VirtualMFADeviceName": "x", "Path": "no-slash"},
     400, 'ValidationError', 'The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.'),
    # The model gives the name no maximum, but every later call names the device by its serial
    # number, at most 256 characters (serialNumberType): iamd refuses a name or path whose serial
    # would be longer, in the model's words (unverified; AWS's answer is not recorded). A
    # 10,000-character name answered 500 before (issue #11, finding 15).
    ("CreateVirtualMFADevice", {"VirtualMFADeviceName": "a" * 10_000},
     400, 'ValidationError', "1 validation error detected: Value at 'virtualMFADeviceName' failed to satisfy constraint: Member must have length less than or equal to 226"),
    ("CreateVirtualMFADevice", {"VirtualMFADeviceName": "m" * 200, "Path": "/" + "p" * 30 + "/"},
     400, 'ValidationError', "1 validation error detected: Value at 'virtualMFADeviceName' failed to satisfy constraint: Member must have length less than or equal to 195"),
    ("CreateVirtualMFADevice", {"VirtualMFADeviceName": "m", "Path": "/" + "p" * 300 + "/"},
     400, 'ValidationError', "1 validation error detected: Value at 'path' failed to satisfy constraint: Member must have length less than or equal to 226"),
    ("EnableMFADevice", {"UserName": "alice", "SerialNumber": MFA, "AuthenticationCode1": "12345", "AuthenticationCode2": "123456"},
     400, 'ValidationError', "1 validation error detected: Value at 'authenticationCode1' failed to satisfy constraint: Member must have length greater than or equal to 6"),
    # Unverified text.
    ("EnableMFADevice", {"UserName": "alice", "SerialNumber": MFA, "AuthenticationCode1": "000000", "AuthenticationCode2": "000000"},
     403, 'InvalidAuthenticationCode', 'Authentication code for device is not valid.'),
    ("ResyncMFADevice", {"UserName": "alice", "SerialNumber": MFA, "AuthenticationCode1": "000000", "AuthenticationCode2": "000000"},
     404, 'NoSuchEntity', 'MFA Device with serial number arn:aws:iam::000000000000:mfa/dev-mfa does not exist.'),
    ("ResyncMFADevice", {"UserName": "alice", "SerialNumber": MFA, "AuthenticationCode1": "12345a", "AuthenticationCode2": "000000"},
     400, 'ValidationError', "1 validation error detected: Value at 'authenticationCode1' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]+"),
    ("DeactivateMFADevice", {"UserName": "alice", "SerialNumber": MFA},
     404, 'NoSuchEntity', 'MFA Device with serial number arn:aws:iam::000000000000:mfa/dev-mfa does not exist.'),
    ("DeactivateMFADevice", {"UserName": "ghost", "SerialNumber": MFA},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("DeleteVirtualMFADevice", {"SerialNumber": f"{A}:mfa/ghost"},
     404, 'NoSuchEntity', 'MFA Device with serial number arn:aws:iam::000000000000:mfa/ghost does not exist.'),
    ("ListMFADevices", {"UserName": "ghost"},
     404, 'NoSuchEntity', 'The user with name ghost cannot be found.'),
    ("ListVirtualMFADevices", {"AssignmentStatus": "Bogus"},
     400, 'ValidationError', "1 validation error detected: Value at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Assigned, Unassigned, Any]"),
    ("ListVirtualMFADevices", {"Marker": "not-a-marker"},
     400, 'ValidationError', 'Invalid Marker.'),
    ("CreateLoginProfile", {"UserName": "alice", "Password": "Passw0rd!Passw0rd!"},
     409, 'EntityAlreadyExists', 'Login Profile for user alice already exists.'),
    ("CreateLoginProfile", {"UserName": "bob2", "Password": "\u0100bcdefgh1!"},
     400, 'ValidationError', "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"),
    ("GetLoginProfile", {"UserName": "bob2"},
     404, 'NoSuchEntity', 'Login Profile for User bob2 cannot be found.'),
    ("UpdateLoginProfile", {"UserName": "bob2", "Password": "Passw0rd!Passw0rd!"},
     404, 'NoSuchEntity', 'Login Profile for User bob2 cannot be found.'),
    ("DeleteLoginProfile", {"UserName": "bob2"},
     404, 'NoSuchEntity', 'Login Profile for User bob2 cannot be found.'),
    # The account has no custom password policy: AWS's default one applies (texts as AWS answered
    # CreateLoginProfile in public transcripts; see test_iam_password_policy.py).
    ("CreateLoginProfile", {"UserName": "bob2", "Password": "abcdefg1"},
     400, 'PasswordPolicyViolation', 'Password should meet 1 more of the following requirements: Password should have at least one uppercase letter, Password should have at least one symbol'),
    ("UpdateLoginProfile", {"UserName": "alice", "Password": "Ab1!xyz"},
     400, 'PasswordPolicyViolation', 'Password should have a minimum length of 8'),
    # aws/aws-cli#7265; the same text for DeleteAccountPasswordPolicy is unverified.
    ("GetAccountPasswordPolicy", {},
     404, 'NoSuchEntity', 'The Password Policy with domain name 000000000000 cannot be found.'),
    ("DeleteAccountPasswordPolicy", {},
     404, 'NoSuchEntity', 'The Password Policy with domain name 000000000000 cannot be found.'),
    ("UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 5},
     400, 'ValidationError', "1 validation error detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6"),
    ("UpdateAccountPasswordPolicy", {"PasswordReusePrevention": 25},
     400, 'ValidationError', "1 validation error detected: Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24"),
    # The rows run as the root, which has no IAM password (aws-cli's change-password example
    # names the code; the message is unverified).
    ("ChangePassword", {"OldPassword": PASSWORD, "NewPassword": "Other-Passw0rd!"},
     400, 'InvalidUserType', 'Only IAM Users can change their own password.'),
    # Where the enum sits among the element's constraints is unverified.
    ("GetAccountAuthorizationDetails", {"Filter": ["Robot"]},
     400, 'ValidationError', "1 validation error detected: Value at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy], Member must not be null]"),
    # Unverified text.
    ("SimulatePrincipalPolicy", {"PolicySourceArn": f"{A}:user/ghost", "ActionNames": ["s3:GetObject"]},
     404, 'NoSuchEntity', 'The entity with ARN arn:aws:iam::000000000000:user/ghost cannot be found.'),
    ("SimulatePrincipalPolicy", {"PolicySourceArn": f"{A}:user/alice", "ActionNames": ["s3:GetObject"], "ContextEntries": [{"ContextKeyName": "aws:x", "ContextKeyValues": ["1"], "ContextKeyType": "text"}]},
     400, 'ValidationError', "1 validation error detected: Value at 'contextEntries.1.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [string, stringList, numeric, numericList, boolean, booleanList, ip, ipList, binary, binaryList, date, dateList]"),
    ("SimulateCustomPolicy", {"PolicyInputList": ["{nope"], "ActionNames": ["s3:GetObject"]},
     400, 'MalformedPolicyDocument', 'This policy contains invalid Json'),
    ("SimulateCustomPolicy", {"PolicyInputList": [DOC], "ActionNames": ["s3:GetObject"], "MaxItems": 0},
     400, 'ValidationError', "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"),
    # Credential report and access advisor (issue #14). GetCredentialReport before any report:
    # the code and status are the model's; the text is the model's documentation of the error
    # (AWS's wire text unverified). The job and ARN texts are iamd's (unverified).
    ("GetCredentialReport", {},
     410, 'ReportNotPresent', 'The request was rejected because the credential report does not exist. To generate a credential report, use GenerateCredentialReport.'),
    ("GetServiceLastAccessedDetails", {"JobId": "short"},
     400, 'ValidationError', "1 validation error detected: Value at 'jobId' failed to satisfy constraint: Member must have length greater than or equal to 36"),
    ("GetServiceLastAccessedDetails", {"JobId": "00000000-0000-4000-8000-000000000000"},
     404, 'NoSuchEntity', 'No job with ID 00000000-0000-4000-8000-000000000000 was found.'),
    ("GetServiceLastAccessedDetailsWithEntities", {"JobId": "00000000-0000-4000-8000-000000000000", "ServiceNamespace": "iam"},
     404, 'NoSuchEntity', 'No job with ID 00000000-0000-4000-8000-000000000000 was found.'),
    ("GetServiceLastAccessedDetailsWithEntities", {"JobId": "00000000-0000-4000-8000-000000000000", "ServiceNamespace": "no spaces"},
     400, 'ValidationError', "1 validation error detected: Value at 'serviceNamespace' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]*"),
    ("GenerateServiceLastAccessedDetails", {"Arn": f"{A}:user/ghost"},
     404, 'NoSuchEntity', 'The entity with ARN arn:aws:iam::000000000000:user/ghost cannot be found.'),
    ("GenerateServiceLastAccessedDetails", {"Arn": "not-an-arn-but-long-enough"},
     400, 'ValidationError', 'ARN not-an-arn-but-long-enough is not valid.'),
    ("GenerateServiceLastAccessedDetails", {"Arn": f"{A}:user/ghost", "Granularity": "FINE"},
     400, 'ValidationError', "1 validation error detected: Value at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]"),
    # Unverified text.
    ("GetContextKeysForPrincipalPolicy", {"PolicySourceArn": f"{A}:role/ghost"},
     404, 'NoSuchEntity', 'The entity with ARN arn:aws:iam::000000000000:role/ghost cannot be found.'),
    ("GetContextKeysForCustomPolicy", {"PolicyInputList": ["[]"]},
     400, 'MalformedPolicyDocument', 'Syntax errors in policy.'),
]



def row_id(row):
    return f"{row[0]}-{ROWS.index(row)}"


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_bad_input_gets_awss_error_and_changes_nothing(iam_world, row):
    op, params, status, code, message = row
    server = iam_world["server"]
    raw = server.client("iam", parameter_validation=False)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        method(raw, op)(**params)
    r = e.value.response
    assert (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]) == \
        (status, code, message)
    assert snapshot(server.client("iam")) == iam_world["pristine"], f"{op} {params} changed state"


def test_get_account_summary_takes_no_input_but_a_wrong_version_is_refused(iam_world):
    # GetAccountSummary has no parameters to get wrong; the one bad input is the protocol's own.
    server = iam_world["server"]
    r = query(server.url, "iam", "Action=GetAccountSummary&Version=2010-05-09")
    assert r.status_code == 400
    assert xml_error(r)[:2] == ("InvalidAction", "Could not find operation GetAccountSummary for version 2010-05-09")
    assert snapshot(server.client("iam")) == iam_world["pristine"]


def test_removing_a_non_member_from_a_group_succeeds_and_changes_nothing(iam_world):
    # AWS answers 200 (LocalStack's AWS-recorded snapshot test_iam_users
    # `remove-nonmember-user-from-group`).
    server = iam_world["server"]
    server.client("iam").remove_user_from_group(GroupName="devs", UserName="bob2")
    assert snapshot(server.client("iam")) == iam_world["pristine"]


def test_policy_tag_keys_differ_by_case_where_user_tag_keys_do_not(iam_world):
    # LocalStack's AWS-recorded snapshot test_iam_policies `create-with-case-sensitive-tags`.
    server = iam_world["server"]
    iam = server.client("iam")
    tags = [{"Key": "a", "Value": "lower"}, {"Key": "A", "Value": "upper"}]
    arn = iam.create_policy(PolicyName="cased", PolicyDocument=DOC, Tags=tags)["Policy"]["Arn"]
    try:
        assert sorted(t["Key"] for t in iam.list_policy_tags(PolicyArn=arn)["Tags"]) == ["A", "a"]
        iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
        assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "A", "Value": "upper"}]
    finally:
        iam.delete_policy(PolicyArn=arn)
    assert snapshot(iam) == iam_world["pristine"]


def implemented_iam_operations():
    """Every IAM operation of iamd's tables: the typed table
    (`Entry::<IamDomain, o::Name>::OP`) and the older tables still being ported."""
    ops = set()
    crates = ROOT / "crates"
    for f in crates.rglob("*.rs"):
        text = f.read_text()
        if "Operation<IamDomain>" in text:
            ops |= set(re.findall(r"Entry::<\s*\w+,\s*o::([A-Za-z]+)\s*>::OP", text))
    legacy = crates / "iamd-service" / "src" / "ops"
    for name in ("iam.rs", "iam_more.rs"):
        if (legacy / name).exists():
            ops |= set(re.findall(r'op!\(\s*"([A-Za-z]+)"', (legacy / name).read_text()))
    if (legacy / "iam_simulate.rs").exists():
        ops |= set(re.findall(r'name: "([A-Za-z]+)"', (legacy / "iam_simulate.rs").read_text()))
    return ops


def test_every_implemented_iam_operation_has_a_row():
    ops = implemented_iam_operations()
    assert len(ops) > 90, sorted(ops)
    # GenerateCredentialReport, like GetAccountSummary, takes no input to get wrong (and any
    # call makes a report: tests/e2e/test_iam_last_used.py covers it).
    covered = {r[0] for r in ROWS} | {"GetAccountSummary", "GenerateCredentialReport"}
    assert sorted(ops - covered) == []
