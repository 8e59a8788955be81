"""The account password policy (Get/Update/DeleteAccountPasswordPolicy), its enforcement on
CreateLoginProfile/UpdateLoginProfile, and ChangePassword, driven by boto3 and the aws CLI
against a real `iamd serve --dev` (issue #4).

Where the answers come from:
- `NoSuchEntity: The Password Policy with domain name <account> cannot be found.` (404): AWS's
  answer quoted in aws/aws-cli#7265 and turbot/steampipe-plugin-aws#369. The same text for
  DeleteAccountPasswordPolicy without a policy is unverified.
- UpdateAccountPasswordPolicy without parameters, then GetAccountPasswordPolicy: AWS's answer in
  aws/aws-cli#7265 (MinimumPasswordLength 6, every flag false, ExpirePasswords false, no
  MaxPasswordAge/PasswordReusePrevention/HardExpiry).
- Omitted members revert to their defaults ("This operation does not support partial updates",
  API reference); ExpirePasswords is true when MaxPasswordAge is set (PasswordPolicy shape).
- Default policy (no custom one): at least 8 characters and three of four character kinds (IAM
  User Guide). Texts as AWS answered CreateLoginProfile in public transcripts: `Password should
  have a minimum length of 8` and `Password should meet 1 more of the following requirements:
  Password should have at least one uppercase letter, Password should have at least one symbol`.
- Under a custom policy iamd names the first unmet rule in the same words (unverified).
- AllowUsersToChangePassword "gives IAM users permissions to iam:ChangePassword for only their
  user and to the iam:GetAccountPasswordPolicy action" (PasswordPolicy shape documentation).
- ChangePassword with root credentials answers InvalidUserType (aws-cli's change-password
  example); its message, the wrong-old-password answer (`AccessDenied`, `The old password was
  incorrect.`) and the reuse text are unverified.
"""

import json

import botocore.exceptions
import pytest
from conftest import fails

ACCT = "000000000000"
GOOD = "Zq-7unique-PassW0rd!xk"
GOOD2 = "Second-Unique-Pw-93kq!"
MISSING = ("NoSuchEntity", f"The Password Policy with domain name {ACCT} cannot be found.", 404)


def policy_or_code(iam):
    try:
        p = iam.get_account_password_policy()["PasswordPolicy"]
        return p
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


def user_with_key(iam, dev, name, policy=None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return dev.client("iam", key=k["AccessKeyId"], secret=k["SecretAccessKey"]), k


def test_policy_lifecycle_and_defaults(dev):
    iam = dev.client("iam")
    assert fails(iam.get_account_password_policy) == MISSING
    assert fails(iam.delete_account_password_policy) == MISSING
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": False,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False}
    iam.update_account_password_policy(
        MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True,
        RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True, MaxPasswordAge=90, PasswordReusePrevention=24,
        HardExpiry=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 90,
        "PasswordReusePrevention": 24, "HardExpiry": True}
    # No partial updates: what is left out reverts to its default.
    iam.update_account_password_policy(RequireNumbers=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": True,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False}
    iam.delete_account_password_policy()
    assert fails(iam.get_account_password_policy) == MISSING
    # Per account.
    iam.update_account_password_policy(MinimumPasswordLength=20)
    other = dev.client("iam", key="111111111111")
    assert fails(other.get_account_password_policy) == (
        "NoSuchEntity", "The Password Policy with domain name 111111111111 cannot be found.", 404)


@pytest.mark.parametrize("params,member,constraint", [
    ({"MinimumPasswordLength": 5}, "minimumPasswordLength", "greater than or equal to 6"),
    ({"MinimumPasswordLength": 129}, "minimumPasswordLength", "less than or equal to 128"),
    ({"MaxPasswordAge": 0}, "maxPasswordAge", "greater than or equal to 1"),
    ({"MaxPasswordAge": 1096}, "maxPasswordAge", "less than or equal to 1095"),
    ({"PasswordReusePrevention": 0}, "passwordReusePrevention", "greater than or equal to 1"),
    ({"PasswordReusePrevention": 25}, "passwordReusePrevention", "less than or equal to 24"),
])
def test_out_of_range_members_are_refused_and_change_nothing(dev, params, member, constraint):
    iam = dev.client("iam")
    raw = dev.client("iam", parameter_validation=False)
    iam.update_account_password_policy(MinimumPasswordLength=10, RequireSymbols=True)
    before = policy_or_code(iam)
    assert fails(raw.update_account_password_policy, **params) == (
        "ValidationError",
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
        f"Member must have value {constraint}", 400)
    assert policy_or_code(iam) == before


def test_default_policy_applies_without_a_custom_one(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="alice")
    assert fails(iam.create_login_profile, UserName="alice", Password="Ab1!xyz") == (
        "PasswordPolicyViolation", "Password should have a minimum length of 8", 400)
    assert fails(iam.create_login_profile, UserName="alice", Password="abcdefg1") == (
        "PasswordPolicyViolation",
        "Password should meet 1 more of the following requirements: Password should have at "
        "least one uppercase letter, Password should have at least one symbol", 400)
    assert fails(iam.get_login_profile, UserName="alice")[0] == "NoSuchEntity"
    iam.create_login_profile(UserName="alice", Password="abcdefg1A")
    # A custom policy replaces the default one: six lowercase letters are enough under it.
    iam.update_account_password_policy()
    iam.update_login_profile(UserName="alice", Password="abcdef")


def test_custom_policy_is_enforced_on_create_and_update(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password=GOOD, PasswordResetRequired=True)
    dev.cli("iam", "update-account-password-policy", "--minimum-password-length", "12",
            "--require-uppercase-characters", "--require-numbers", "--require-symbols")
    assert json.loads(dev.cli("iam", "get-account-password-policy").stdout)["PasswordPolicy"] == {
        "MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False}
    before = iam.get_login_profile(UserName="bob")["LoginProfile"]
    for pw, message in [
        ("Short-1", "Password should have a minimum length of 12"),
        ("lowercase-only-1", "Password should have at least one uppercase letter"),
        ("NoNumbersHere!", "Password should have at least one number"),
        ("NoSymbolsHere12", "Password should have at least one symbol"),
    ]:
        assert fails(iam.update_login_profile, UserName="bob", Password=pw,
                     PasswordResetRequired=False) == ("PasswordPolicyViolation", message, 400)
    # The refused updates changed nothing (not even the reset flag sent with them).
    assert iam.get_login_profile(UserName="bob")["LoginProfile"] == before
    iam.create_user(UserName="carol")
    assert fails(iam.create_login_profile, UserName="carol", Password="Short-1") == (
        "PasswordPolicyViolation", "Password should have a minimum length of 12", 400)
    assert fails(iam.get_login_profile, UserName="carol")[0] == "NoSuchEntity"
    # The aws CLI sees the same error.
    p = dev.cli("iam", "create-login-profile", "--user-name", "carol", "--password", "Short-1",
                check=False)
    assert p.returncode != 0 and "PasswordPolicyViolation" in p.stderr
    assert "Password should have a minimum length of 12" in p.stderr
    iam.create_login_profile(UserName="carol", Password=GOOD)
    # The reset flag alone needs no password check.
    iam.update_login_profile(UserName="bob", PasswordResetRequired=False)


def test_change_password_needs_permission_or_allow_users_to_change(dev):
    iam = dev.client("iam")
    me, key = user_with_key(iam, dev, "dave")
    iam.create_login_profile(UserName="dave", Password=GOOD, PasswordResetRequired=True)
    code, msg, status = fails(me.change_password, OldPassword=GOOD, NewPassword=GOOD2)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (f"User: arn:aws:iam::{ACCT}:user/dave is not authorized to perform: "
                   f"iam:ChangePassword on resource: arn:aws:iam::{ACCT}:user/dave because no "
                   "identity-based policy allows the iam:ChangePassword action")
    assert fails(me.get_account_password_policy)[0] == "AccessDenied"
    # AllowUsersToChangePassword grants both, to every user, for its own password only.
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    assert me.get_account_password_policy()["PasswordPolicy"]["AllowUsersToChangePassword"]
    assert fails(me.update_login_profile, UserName="dave", Password=GOOD2)[0] == "AccessDenied"
    me.change_password(OldPassword=GOOD, NewPassword=GOOD2)
    assert iam.get_login_profile(UserName="dave")["LoginProfile"]["PasswordResetRequired"] is False
    # The old password no longer proves anything.
    assert fails(me.change_password, OldPassword=GOOD, NewPassword="Third-Unique-Pw-11z!") == (
        "AccessDenied", "The old password was incorrect.", 403)
    # An explicit deny still wins over the account-level grant.
    iam.put_user_policy(UserName="dave", PolicyName="deny", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:ChangePassword", "Resource": "*"}]}))
    assert fails(me.change_password, OldPassword=GOOD2, NewPassword=GOOD)[0] == "AccessDenied"
    iam.delete_user_policy(UserName="dave", PolicyName="deny")
    # Without the option, an identity policy on the user's own ARN is what allows it.
    iam.update_account_password_policy()
    assert fails(me.change_password, OldPassword=GOOD2, NewPassword=GOOD)[0] == "AccessDenied"
    iam.put_user_policy(UserName="dave", PolicyName="own", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword",
                       "Resource": "arn:aws:iam::*:user/${aws:username}"}]}))
    me.change_password(OldPassword=GOOD2, NewPassword=GOOD)
    # ... with the aws CLI too.
    dev.cli("iam", "change-password", "--old-password", GOOD, "--new-password", GOOD2,
            key=key["AccessKeyId"], secret=key["SecretAccessKey"])


def test_change_password_rules(dev):
    iam = dev.client("iam")
    iam.update_account_password_policy(AllowUsersToChangePassword=True, MinimumPasswordLength=10,
                                       PasswordReusePrevention=2)
    me, _ = user_with_key(iam, dev, "erin")
    # No login profile yet: AWS's `Login Profile for User <n> cannot be found.` (a ChangePassword
    # transcript).
    assert fails(me.change_password, OldPassword=GOOD, NewPassword=GOOD2) == (
        "NoSuchEntity", "Login Profile for User erin cannot be found.", 404)
    iam.create_login_profile(UserName="erin", Password=GOOD)
    assert fails(me.change_password, OldPassword=GOOD, NewPassword="short") == (
        "PasswordPolicyViolation", "Password should have a minimum length of 10", 400)
    reuse = ("PasswordPolicyViolation",
             "Policy constraint violation with password reuse prevention during password change.", 400)
    assert fails(me.change_password, OldPassword=GOOD, NewPassword=GOOD) == reuse
    me.change_password(OldPassword=GOOD, NewPassword=GOOD2)
    assert fails(me.change_password, OldPassword=GOOD2, NewPassword=GOOD) == reuse
    # The root has no IAM password to change.
    assert fails(iam.change_password, OldPassword=GOOD, NewPassword=GOOD2) == (
        "InvalidUserType", "Only IAM Users can change their own password.", 400)
    # Nor does a role session.
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}}]}))
    _, ak = user_with_key(iam, dev, "assumer", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    sts = dev.client("sts", key=ak["AccessKeyId"], secret=ak["SecretAccessKey"])
    creds = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="sess")["Credentials"]
    sess = dev.client("iam", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                      token=creds["SessionToken"])
    assert fails(sess.change_password, OldPassword=GOOD, NewPassword=GOOD2)[0] == "InvalidUserType"


def test_password_policy_actions_are_authorized(dev):
    iam = dev.client("iam")
    reader, _ = user_with_key(iam, dev, "reader", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"}]})
    iam.update_account_password_policy(MinimumPasswordLength=9)
    assert reader.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 9
    code, msg, status = fails(reader.update_account_password_policy, MinimumPasswordLength=30)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (f"User: arn:aws:iam::{ACCT}:user/reader is not authorized to perform: "
                   "iam:UpdateAccountPasswordPolicy because no identity-based policy allows the "
                   "iam:UpdateAccountPasswordPolicy action")
    assert fails(reader.delete_account_password_policy)[0] == "AccessDenied"
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 9
