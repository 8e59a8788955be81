"""Every request is decided by the policy engine: IAM users' identity policies (inline, attached,
through groups, AWS managed), permissions boundaries and secrets' resource policies, with AWS's
AccessDenied texts (aws-semantics.md §1, §4.5). Driven with boto3 and the aws CLI."""

import json

from conftest import error_of

ACCT = "000000000000"

SEED_002_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        "Resource": "arn:aws:secretsmanager:*:*:secret:cml/*",
    }],
}


def make_user(dev, name, policy=None, managed=None, path="/"):
    iam = dev.client("iam")
    iam.create_user(UserName=name, Path=path)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    for arn in managed or []:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_seed_002_wildcard_policy_reads_cml_secrets_only(dev):
    root = dev.client("secretsmanager", region="us-east-2")
    arns = {}
    for n in ("app", "sys", "cluster", "smartlicense_token"):
        arns[n] = root.create_secret(Name=f"cml/cml-devnet/{n}", SecretString=f"pw-{n}")["ARN"]
    other = root.create_secret(Name="other/thing", SecretString="nope")["ARN"]
    key, secret = make_user(dev, "terraform", SEED_002_POLICY)
    tf = dev.client("secretsmanager", key=key, secret=secret, region="us-east-2")
    for n, arn in arns.items():
        assert tf.get_secret_value(SecretId=f"cml/cml-devnet/{n}")["SecretString"] == f"pw-{n}"
        assert tf.describe_secret(SecretId=arn)["Name"] == f"cml/cml-devnet/{n}"
    status, code, msg = error_of(tf.get_secret_value, SecretId="other/thing")
    assert (status, code) == (400, "AccessDeniedException")
    assert msg == (f"User: arn:aws:iam::{ACCT}:user/terraform is not authorized to perform: "
                   f"secretsmanager:GetSecretValue on resource: {other} because no identity-based "
                   "policy allows the secretsmanager:GetSecretValue action")
    # Not in the policy: writing and listing.
    assert error_of(tf.put_secret_value, SecretId=arns["app"], SecretString="x")[1] == \
        "AccessDeniedException"
    status, code, msg = error_of(tf.list_secrets)
    assert msg == (f"User: arn:aws:iam::{ACCT}:user/terraform is not authorized to perform: "
                   "secretsmanager:ListSecrets because no identity-based policy allows the "
                   "secretsmanager:ListSecrets action")
    # The same through the aws CLI.
    out = dev.cli("secretsmanager", "get-secret-value", "--secret-id", "cml/cml-devnet/sys",
                  key=key, secret=secret, region="us-east-2")
    assert json.loads(out.stdout)["SecretString"] == "pw-sys"
    proc = dev.cli("secretsmanager", "get-secret-value", "--secret-id", "other/thing",
                   key=key, secret=secret, region="us-east-2", check=False)
    assert proc.returncode != 0 and "AccessDeniedException" in proc.stderr


def test_seed_000_resource_policy_denies_everyone_but_the_role(dev):
    """Provider steps of seed 000: the secret's resource policy denies GetSecretValue to every
    principal whose aws:PrincipalArn is not the role. An admin with secretsmanager:* may still
    describe the secret but not read it."""
    root = dev.client("secretsmanager")
    arn = root.create_secret(Name="client-a/auth", SecretString='{"token":"t0p"}')["ARN"]
    role_arn = f"arn:aws:iam::{ACCT}:role/CustomerSecretsAccessRole"
    root.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
            "Resource": arn,
            "Condition": {"StringNotEquals": {"aws:PrincipalArn": role_arn}},
        }],
    }))
    key, secret = make_user(dev, "admin", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]})
    admin = dev.client("secretsmanager", key=key, secret=secret)
    assert admin.describe_secret(SecretId=arn)["ARN"] == arn
    status, code, msg = error_of(admin.get_secret_value, SecretId=arn)
    assert (status, code) == (400, "AccessDeniedException")
    assert msg == (f"User: arn:aws:iam::{ACCT}:user/admin is not authorized to perform: "
                   f"secretsmanager:GetSecretValue on resource: {arn} with an explicit deny in a "
                   "resource-based policy")
    # The account root is not the role either: the explicit deny applies to it too.
    assert error_of(root.get_secret_value, SecretId=arn)[1] == "AccessDeniedException"
    # BatchGetSecretValue reports the refusal per secret.
    out = admin.batch_get_secret_value(SecretIdList=[arn])
    assert out["SecretValues"] == []
    assert out["Errors"][0]["ErrorCode"] == "AccessDeniedException"


def test_user_allowed_only_iam_get_cannot_create_users(dev):
    key, secret = make_user(dev, "reader", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]})
    iam = dev.client("iam", key=key, secret=secret)
    assert iam.get_user()["User"]["UserName"] == "reader"
    status, code, msg = error_of(iam.create_user, UserName="mallory")
    assert (status, code) == (403, "AccessDenied")
    assert msg == (f"User: arn:aws:iam::{ACCT}:user/reader is not authorized to perform: "
                   f"iam:CreateUser on resource: arn:aws:iam::{ACCT}:user/mallory because no "
                   "identity-based policy allows the iam:CreateUser action")
    assert "mallory" not in [u["UserName"] for u in dev.client("iam").list_users()["Users"]]


def test_group_policies_and_aws_managed_policies_grant(dev):
    root_iam = dev.client("iam")
    key, secret = make_user(dev, "member")
    iam = dev.client("iam", key=key, secret=secret)
    assert error_of(iam.list_users)[1] == "AccessDenied"
    root_iam.create_group(GroupName="readers")
    root_iam.add_user_to_group(GroupName="readers", UserName="member")
    root_iam.attach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert "member" in [u["UserName"] for u in iam.list_users()["Users"]]
    assert error_of(iam.create_group, GroupName="x")[1] == "AccessDenied"
    # Detaching takes effect at once.
    root_iam.detach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert error_of(iam.list_users)[1] == "AccessDenied"


def test_permissions_boundary_narrows_and_explicit_deny_wins(dev):
    root_iam = dev.client("iam")
    boundary = root_iam.create_policy(PolicyName="only-sm", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}))["Policy"]["Arn"]
    key, secret = make_user(dev, "bounded", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:*", "secretsmanager:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "secretsmanager:DeleteSecret", "Resource": "*"}]})
    root_iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=boundary)
    iam = dev.client("iam", key=key, secret=secret)
    status, code, msg = error_of(iam.list_users)
    assert code == "AccessDenied"
    assert msg.endswith("because no permissions boundary allows the iam:ListUsers action"), msg
    sm = dev.client("secretsmanager", key=key, secret=secret)
    sm.create_secret(Name="b/one", SecretString="v")
    status, code, msg = error_of(sm.delete_secret, SecretId="b/one")
    assert code == "AccessDeniedException"
    assert "with an explicit deny in an identity-based policy" in msg, msg
    # Removing the boundary restores IAM access.
    root_iam.delete_user_permissions_boundary(UserName="bounded")
    assert iam.list_users()["Users"]


def test_userid_variable_and_resource_tags_in_conditions(dev):
    """Seed 003's SSMDenyAccessNotOwner pattern: a Deny unless a tag on the resource equals
    ${aws:userid}, here on secrets (secretsmanager:ResourceTag) so it can be driven end to end."""
    iam = dev.client("iam")
    owner_key, owner_secret = make_user(dev, "owner", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
        {"Sid": "DenyNotOwner", "Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
         "Resource": "*",
         "Condition": {"StringNotEquals": {"secretsmanager:ResourceTag/Owner": "${aws:userid}"}}}]})
    owner_id = iam.get_user(UserName="owner")["User"]["UserId"]
    root = dev.client("secretsmanager")
    root.create_secret(Name="mine", SecretString="m", Tags=[{"Key": "Owner", "Value": owner_id}])
    root.create_secret(Name="theirs", SecretString="t", Tags=[{"Key": "Owner", "Value": "AIDAOTHER"}])
    sm = dev.client("secretsmanager", key=owner_key, secret=owner_secret)
    assert sm.get_secret_value(SecretId="mine")["SecretString"] == "m"
    status, code, msg = error_of(sm.get_secret_value, SecretId="theirs")
    assert code == "AccessDeniedException"
    assert "with an explicit deny in an identity-based policy" in msg, msg


# --- IAM's policy simulator: the same engine, answering SimulatePrincipalPolicy ----------------

SEED_003_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def seed_003_role(dev):
    iam = dev.client("iam")
    name = "AmazonSageMaker-ExecutionRole-20261123T000000"
    arn = iam.create_role(RoleName=name, Path="/service-role/",
                          AssumeRolePolicyDocument=json.dumps(SEED_003_TRUST))["Role"]["Arn"]
    for p in ("AmazonSSMManagedInstanceCore", "CloudWatchLogsFullAccess"):
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{p}")
    iam.put_role_policy(RoleName=name, PolicyName="SageMakerSSMPolicy", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn},
            {"Effect": "Allow", "Action": "ssm:CreateActivation", "Resource": "*"},
            {"Effect": "Allow", "Action": "ssm:AddTagsToResource", "Resource": arn}]}))
    return arn


def test_simulate_principal_policy_on_the_seed_003_role(dev):
    arn = seed_003_role(dev)
    iam = dev.client("iam")
    out = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=[
        "ssm:UpdateInstanceInformation", "s3:DeleteBucket", "iam:PassRole", "logs:PutLogEvents"])
    by_action = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert by_action["ssm:UpdateInstanceInformation"]["EvalDecision"] == "allowed"
    assert by_action["s3:DeleteBucket"]["EvalDecision"] == "implicitDeny"
    assert by_action["s3:DeleteBucket"]["MatchedStatements"] == []
    assert by_action["logs:PutLogEvents"]["EvalDecision"] == "allowed"
    matched = by_action["ssm:UpdateInstanceInformation"]["MatchedStatements"]
    assert {(m["SourcePolicyId"], m["SourcePolicyType"]) for m in matched} == \
        {("AmazonSSMManagedInstanceCore", "aws-managed")}
    assert matched[0]["StartPosition"]["Line"] >= 1
    # iam:PassRole is allowed on the role itself only (the inline policy's Resource).
    assert by_action["iam:PassRole"]["EvalDecision"] == "implicitDeny"
    passrole = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:PassRole"],
                                             ResourceArns=[arn])["EvaluationResults"][0]
    assert passrole["EvalDecision"] == "allowed"
    assert passrole["MatchedStatements"][0]["SourcePolicyId"] == "SageMakerSSMPolicy"
    assert passrole["MatchedStatements"][0]["SourcePolicyType"] == "role"
    # The aws CLI, as the seed's admin would run it.
    cli = json.loads(dev.cli("iam", "simulate-principal-policy", "--policy-source-arn", arn,
                             "--action-names", "ssm:UpdateInstanceInformation", "s3:DeleteBucket").stdout)
    assert [r["EvalDecision"] for r in cli["EvaluationResults"]] == ["allowed", "implicitDeny"]


def test_simulate_custom_policy_context_entries_and_missing_values(dev):
    iam = dev.client("iam")
    mfa_only = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})
    out = iam.simulate_custom_policy(PolicyInputList=[mfa_only], ActionNames=["sts:AssumeRole"])
    r = out["EvaluationResults"][0]
    assert r["EvalDecision"] == "implicitDeny"
    assert r["MissingContextValues"] == ["aws:MultiFactorAuthPresent"]
    out = iam.simulate_custom_policy(PolicyInputList=[mfa_only], ActionNames=["sts:AssumeRole"],
                                     ContextEntries=[{"ContextKeyName": "aws:MultiFactorAuthPresent",
                                                      "ContextKeyValues": ["true"],
                                                      "ContextKeyType": "boolean"}])
    r = out["EvaluationResults"][0]
    assert r["EvalDecision"] == "allowed"
    assert r["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    # A boundary that does not allow: the detail says so.
    boundary = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    r = iam.simulate_custom_policy(PolicyInputList=[mfa_only], PermissionsBoundaryPolicyInputList=[boundary],
                                   ActionNames=["sts:AssumeRole"],
                                   ContextEntries=[{"ContextKeyName": "aws:MultiFactorAuthPresent",
                                                    "ContextKeyValues": ["true"],
                                                    "ContextKeyType": "boolean"}])["EvaluationResults"][0]
    assert r["EvalDecision"] == "implicitDeny"
    assert r["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    # Explicit deny wins, and a malformed input policy is refused with IAM's text.
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "sts:*", "Resource": "*"}]})
    r = iam.simulate_custom_policy(PolicyInputList=[mfa_only, deny], ActionNames=["sts:AssumeRole"])
    assert r["EvaluationResults"][0]["EvalDecision"] == "explicitDeny"
    status, code, msg = error_of(iam.simulate_custom_policy, PolicyInputList=["{nope"],
                                 ActionNames=["s3:GetObject"])
    assert (status, code, msg) == (400, "MalformedPolicyDocument", "This policy contains invalid Json")
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[mfa_only])["ContextKeyNames"]
    assert keys == ["aws:MultiFactorAuthPresent"]


def test_simulate_principal_policy_for_a_user_with_groups(dev):
    iam = dev.client("iam")
    make_user(dev, "sim", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": "arn:aws:secretsmanager:*:*:secret:cml/*"}]})
    iam.create_group(GroupName="deny-writes")
    iam.put_group_policy(GroupName="deny-writes", PolicyName="nowrite", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "secretsmanager:Put*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:username": "${aws:username}"}}}]}))
    iam.add_user_to_group(GroupName="deny-writes", UserName="sim")
    user_arn = f"arn:aws:iam::{ACCT}:user/sim"
    res = iam.simulate_principal_policy(
        PolicySourceArn=user_arn,
        ActionNames=["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
        ResourceArns=["arn:aws:secretsmanager:us-east-2:000000000000:secret:cml/app-AbCdEf"])
    d = {r["EvalActionName"]: r["EvalDecision"] for r in res["EvaluationResults"]}
    assert d == {"secretsmanager:GetSecretValue": "allowed", "secretsmanager:PutSecretValue": "explicitDeny"}
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=user_arn)["ContextKeyNames"]
    assert keys == ["aws:username"]
    status, code, _ = error_of(iam.simulate_principal_policy,
                               PolicySourceArn=f"arn:aws:iam::{ACCT}:user/ghost", ActionNames=["s3:*"])
    assert (status, code) == (404, "NoSuchEntity")


def test_trust_policy_principals_must_exist_when_saved(dev):
    """aws-semantics.md §2.2 [rec]: `Invalid principal in policy: "AWS":"<arn>"`."""
    iam = dev.client("iam")
    other = "arn:aws:iam::111111111111:user/monitor-user"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": other}, "Action": "sts:AssumeRole"}]}
    status, code, msg = error_of(iam.create_role, RoleName="MonitoringRole",
                                 AssumeRolePolicyDocument=json.dumps(trust))
    assert (status, code, msg) == (400, "MalformedPolicyDocument",
                                   f'Invalid principal in policy: "AWS":"{other}"')
    assert error_of(iam.get_role, RoleName="MonitoringRole")[1] == "NoSuchEntity"
    # Once the user exists in its account, the same document is accepted; accounts and roots
    # are never checked.
    dev.client("iam", key="111111111111").create_user(UserName="monitor-user")
    iam.create_role(RoleName="MonitoringRole", AssumeRolePolicyDocument=json.dumps(trust))
    by_account = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["222222222222", "arn:aws:iam::333333333333:root"]},
         "Action": "sts:AssumeRole"}]}
    iam.update_assume_role_policy(RoleName="MonitoringRole", PolicyDocument=json.dumps(by_account))
    ghost = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:role/ghost"}, "Action": "sts:AssumeRole"}]}
    assert error_of(iam.update_assume_role_policy, RoleName="MonitoringRole",
                    PolicyDocument=json.dumps(ghost))[1] == "MalformedPolicyDocument"
    stored = iam.get_role(RoleName="MonitoringRole")["Role"]["AssumeRolePolicyDocument"]
    assert stored == by_account


def test_request_condition_keys_version_stage_and_request_tags(dev):
    key, secret = make_user(dev, "scoped", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}}},
        {"Effect": "Allow", "Action": ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
         "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"},
                       "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}]})
    root = dev.client("secretsmanager")
    root.create_secret(Name="staged", SecretString="v1")
    root.put_secret_value(SecretId="staged", SecretString="v2")
    sm = dev.client("secretsmanager", key=key, secret=secret)
    assert sm.get_secret_value(SecretId="staged", VersionStage="AWSCURRENT")["SecretString"] == "v2"
    # Without VersionStage in the request the key is absent, so StringEquals does not match.
    assert error_of(sm.get_secret_value, SecretId="staged")[1] == "AccessDeniedException"
    assert error_of(sm.get_secret_value, SecretId="staged", VersionStage="AWSPREVIOUS")[1] == \
        "AccessDeniedException"
    sm.create_secret(Name="tagged", SecretString="t", Tags=[{"Key": "team", "Value": "blue"}])
    assert error_of(sm.create_secret, Name="t2", SecretString="t",
                    Tags=[{"Key": "team", "Value": "red"}])[1] == "AccessDeniedException"
    assert error_of(sm.create_secret, Name="t3", SecretString="t",
                    Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "x"}])[1] == \
        "AccessDeniedException"
    assert error_of(sm.create_secret, Name="t4", SecretString="t")[1] == "AccessDeniedException"


def test_trust_principals_are_held_by_unique_id(dev):
    """IAM converts a trust policy's user/role principals to unique ids on save: a principal
    deleted and recreated under the same name is no longer trusted, and GetRole shows the old id
    (aws-semantics.md §2.2, reference_policies_elements_principal.html)."""
    iam = dev.client("iam")
    assume = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    key, secret = make_user(dev, "ops", assume)
    old_id = iam.get_user(UserName="ops")["User"]["UserId"]
    user_arn = f"arn:aws:iam::{ACCT}:user/ops"
    role_arn = iam.create_role(RoleName="OpsRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    dev.client("sts", key=key, secret=secret).assume_role(RoleArn=role_arn, RoleSessionName="s1")
    # Delete the user and create another one with the same name.
    iam.delete_access_key(UserName="ops", AccessKeyId=key)
    iam.delete_user_policy(UserName="ops", PolicyName="p")
    iam.delete_user(UserName="ops")
    key2, secret2 = make_user(dev, "ops", assume)
    status, code, _ = error_of(dev.client("sts", key=key2, secret=secret2).assume_role,
                               RoleArn=role_arn, RoleSessionName="s1")
    assert (status, code) == (403, "AccessDenied")
    shown = iam.get_role(RoleName="OpsRole")["Role"]["AssumeRolePolicyDocument"]
    assert shown["Statement"][0]["Principal"]["AWS"] == old_id
    # Every response that carries the trust policy shows the same (ListRoles, instance profiles,
    # GetAccountAuthorizationDetails), not only GetRole.
    iam.create_instance_profile(InstanceProfileName="OpsProfile")
    iam.add_role_to_instance_profile(InstanceProfileName="OpsProfile", RoleName="OpsRole")
    listed = [r for r in iam.list_roles()["Roles"] if r["RoleName"] == "OpsRole"]
    by_role = iam.list_instance_profiles_for_role(RoleName="OpsRole")["InstanceProfiles"][0]["Roles"]
    profile = iam.get_instance_profile(InstanceProfileName="OpsProfile")["InstanceProfile"]["Roles"]
    details = [r for r in iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
               if r["RoleName"] == "OpsRole"]
    for doc in [listed[0]["AssumeRolePolicyDocument"], by_role[0]["AssumeRolePolicyDocument"],
                profile[0]["AssumeRolePolicyDocument"], details[0]["AssumeRolePolicyDocument"]]:
        assert doc["Statement"][0]["Principal"]["AWS"] == old_id, doc
    iam.remove_role_from_instance_profile(InstanceProfileName="OpsProfile", RoleName="OpsRole")
    iam.delete_instance_profile(InstanceProfileName="OpsProfile")
    # Saving the policy again binds the new user.
    iam.update_assume_role_policy(RoleName="OpsRole", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]}))
    dev.client("sts", key=key2, secret=secret2).assume_role(RoleArn=role_arn, RoleSessionName="s1")


# Operations whose "Required permissions" (Secrets Manager API reference) name a second action.

def denial(user, action, resource=None):
    on = f" on resource: {resource}" if resource else ""
    return (f"User: arn:aws:iam::{ACCT}:user/{user} is not authorized to perform: {action}{on} "
            f"because no identity-based policy allows the {action} action")


def test_create_secret_with_tags_also_needs_tag_resource(dev):
    """API_CreateSecret: "If you include tags in the secret, you also need
    secretsmanager:TagResource". AWS judges it on the ARN the secret is about to get: a denial
    recorded in kubernetes-sigs/cluster-api-provider-aws#1523 names
    `secretsmanager:TagResource on resource: arn:aws:secretsmanager:…:secret:<name>-KSN0bL`."""
    root = dev.client("secretsmanager")
    key, secret = make_user(dev, "creator", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:CreateSecret", "Resource": "*"}]})
    sm = dev.client("secretsmanager", key=key, secret=secret)
    status, code, msg = error_of(sm.create_secret, Name="tagged", SecretString="v",
                                 Tags=[{"Key": "team", "Value": "blue"}])
    assert (status, code) == (400, "AccessDeniedException")
    prefix = (f"User: arn:aws:iam::{ACCT}:user/creator is not authorized to perform: "
              f"secretsmanager:TagResource on resource: arn:aws:secretsmanager:us-east-1:{ACCT}:secret:tagged-")
    suffix = " because no identity-based policy allows the secretsmanager:TagResource action"
    assert msg.startswith(prefix) and msg.endswith(suffix), msg
    assert len(msg) == len(prefix) + 6 + len(suffix), msg
    # Nothing was created.
    assert error_of(root.describe_secret, SecretId="tagged")[1] == "ResourceNotFoundException"
    assert root.list_secrets()["SecretList"] == []
    # Without tags CreateSecret alone is enough (also through the aws CLI).
    sm.create_secret(Name="plain", SecretString="v")
    dev.cli("secretsmanager", "create-secret", "--name", "plain2", "--secret-string", "v",
            key=key, secret=secret)
    proc = dev.cli("secretsmanager", "create-secret", "--name", "tagged2", "--secret-string", "v",
                   "--tags", "Key=team,Value=blue", key=key, secret=secret, check=False)
    assert proc.returncode != 0 and "secretsmanager:TagResource" in proc.stderr
    assert error_of(root.describe_secret, SecretId="tagged2")[1] == "ResourceNotFoundException"

    # With TagResource allowed (on app/* secrets only) it works, and the tags are set.
    key2, secret2 = make_user(dev, "tagger", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:CreateSecret", "Resource": "*"},
        {"Effect": "Allow", "Action": "secretsmanager:TagResource",
         "Resource": "arn:aws:secretsmanager:*:*:secret:app/*"}]})
    sm2 = dev.client("secretsmanager", key=key2, secret=secret2)
    arn = sm2.create_secret(Name="app/tagged", SecretString="v",
                            Tags=[{"Key": "team", "Value": "blue"}])["ARN"]
    assert root.describe_secret(SecretId=arn)["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert error_of(sm2.create_secret, Name="other/tagged", SecretString="v",
                    Tags=[{"Key": "team", "Value": "blue"}])[1] == "AccessDeniedException"
    assert error_of(root.describe_secret, SecretId="other/tagged")[1] == "ResourceNotFoundException"


def test_batch_get_secret_value_with_filters_also_needs_list_secrets(dev):
    """API_BatchGetSecretValue: "If you use filters, you must also have
    secretsmanager:ListSecrets". ListSecrets has no resource, so the message names none."""
    dev.client("secretsmanager").create_secret(Name="b1", SecretString="one")
    read = ["secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue"]
    key, secret = make_user(dev, "reader", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": read, "Resource": "*"}]})
    sm = dev.client("secretsmanager", key=key, secret=secret)
    filters = [{"Key": "name", "Values": ["b1"]}]
    status, code, msg = error_of(sm.batch_get_secret_value, Filters=filters)
    assert (status, code, msg) == (400, "AccessDeniedException",
                                   denial("reader", "secretsmanager:ListSecrets"))
    assert sm.batch_get_secret_value(SecretIdList=["b1"])["SecretValues"][0]["SecretString"] == "one"
    key2, secret2 = make_user(dev, "lister", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": read + ["secretsmanager:ListSecrets"], "Resource": "*"}]})
    sm2 = dev.client("secretsmanager", key=key2, secret=secret2)
    out = sm2.batch_get_secret_value(Filters=filters)
    assert [v["SecretString"] for v in out["SecretValues"]] == ["one"]


def test_validate_resource_policy_also_needs_put_resource_policy(dev):
    """API_ValidateResourcePolicy: "Required permissions: secretsmanager:ValidateResourcePolicy
    and secretsmanager:PutResourcePolicy"; judged on the secret when SecretId is given."""
    arn = dev.client("secretsmanager").create_secret(Name="p", SecretString="v")["ARN"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]})
    key, secret = make_user(dev, "validator", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:ValidateResourcePolicy", "Resource": "*"}]})
    sm = dev.client("secretsmanager", key=key, secret=secret)
    status, code, msg = error_of(sm.validate_resource_policy, SecretId="p", ResourcePolicy=policy)
    assert (status, code, msg) == (400, "AccessDeniedException",
                                   denial("validator", "secretsmanager:PutResourcePolicy", arn))
    assert error_of(sm.validate_resource_policy, ResourcePolicy=policy)[1] == "AccessDeniedException"
    key2, secret2 = make_user(dev, "both", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:ValidateResourcePolicy",
                                       "secretsmanager:PutResourcePolicy"], "Resource": "*"}]})
    sm2 = dev.client("secretsmanager", key=key2, secret=secret2)
    assert sm2.validate_resource_policy(SecretId="p", ResourcePolicy=policy)["PolicyValidationPassed"]
    assert sm2.validate_resource_policy(ResourcePolicy=policy)["PolicyValidationPassed"]


def test_put_resource_policy_can_be_made_to_require_block_public_policy(dev):
    """API_PutResourcePolicy needs only secretsmanager:PutResourcePolicy; the
    secretsmanager:BlockPublicPolicy condition key carries the request's flag, so a policy can
    require callers to set it. When the request omits it the key is absent (no match)."""
    root = dev.client("secretsmanager")
    arn = root.create_secret(Name="bp", SecretString="v")["ARN"]
    key, secret = make_user(dev, "blocker", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:PutResourcePolicy", "Resource": "*",
         "Condition": {"Bool": {"secretsmanager:BlockPublicPolicy": "true"}}}]})
    sm = dev.client("secretsmanager", key=key, secret=secret)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ACCT}, "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]})
    status, code, msg = error_of(sm.put_resource_policy, SecretId=arn, ResourcePolicy=policy)
    assert (status, code, msg) == (400, "AccessDeniedException",
                                   denial("blocker", "secretsmanager:PutResourcePolicy", arn))
    assert error_of(sm.put_resource_policy, SecretId=arn, ResourcePolicy=policy,
                    BlockPublicPolicy=False)[1] == "AccessDeniedException"
    assert "ResourcePolicy" not in root.get_resource_policy(SecretId=arn)
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=policy, BlockPublicPolicy=True)
    assert json.loads(root.get_resource_policy(SecretId=arn)["ResourcePolicy"]) == json.loads(policy)


def test_add_role_to_instance_profile_needs_pass_role(dev):
    """AddRoleToInstanceProfile hands the role to every EC2 instance the profile is attached to,
    so AWS requires iam:PassRole on the role as well ("The caller of this operation must be
    granted the PassRole permission on the IAM role by a permissions policy", API reference,
    AddRoleToInstanceProfile). The PassRole check carries iam:AssociatedResourceArn
    `arn:aws:ec2:*:<account>:instance/*` (the value the reference prescribes for this action) and
    iam:PassedToService `ec2.amazonaws.com` (our choice: the only service instance profiles
    serve). Before, the first check alone was made, and a user without PassRole could put any
    role — an admin role — into a profile."""
    iam = dev.client("iam")
    acct = dev.client("sts").get_caller_identity()["Account"]
    role_arn = iam.create_role(RoleName="PassTarget", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ec2.amazonaws.com"}}]}))["Role"]["Arn"]
    iam.create_instance_profile(InstanceProfileName="PassProfile")
    add = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile"],
         "Resource": "*"}]}
    key, secret = make_user(dev, "pass-role-less", add)
    caller = dev.client("iam", key=key, secret=secret)
    status, code, msg = error_of(caller.add_role_to_instance_profile,
                                 InstanceProfileName="PassProfile", RoleName="PassTarget")
    assert (status, code) == (403, "AccessDenied")
    assert f"iam:PassRole on resource: {role_arn}" in msg, msg
    assert iam.get_instance_profile(InstanceProfileName="PassProfile")["InstanceProfile"]["Roles"] == []

    # PassRole on the role, constrained as AWS documents for this action: allowed.
    with_pass = json.loads(json.dumps(add))
    with_pass["Statement"].append({
        "Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn,
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"},
                      "ArnLike": {"iam:AssociatedResourceArn": f"arn:aws:ec2:*:{acct}:instance/*"}}})
    iam.put_user_policy(UserName="pass-role-less", PolicyName="p", PolicyDocument=json.dumps(with_pass))
    caller.add_role_to_instance_profile(InstanceProfileName="PassProfile", RoleName="PassTarget")
    roles = iam.get_instance_profile(InstanceProfileName="PassProfile")["InstanceProfile"]["Roles"]
    assert [r["Arn"] for r in roles] == [role_arn]

    # PassRole for another service only: refused again.
    with_pass["Statement"][1]["Condition"] = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    iam.put_user_policy(UserName="pass-role-less", PolicyName="p", PolicyDocument=json.dumps(with_pass))
    caller.remove_role_from_instance_profile(InstanceProfileName="PassProfile", RoleName="PassTarget")
    status, code, _ = error_of(caller.add_role_to_instance_profile,
                               InstanceProfileName="PassProfile", RoleName="PassTarget")
    assert (status, code) == (403, "AccessDenied")
    assert iam.get_instance_profile(InstanceProfileName="PassProfile")["InstanceProfile"]["Roles"] == []
