"""STS: AssumeRole (trust policy + identity policy, same and cross account), GetSessionToken,
GetFederationToken, and stateless session tokens — with AWS's codes and texts
(aws-semantics.md §1.4–1.5, §3, §4). Driven with boto3 and the aws CLI. In dev mode every
12-digit access key id is the root of that account (secret `test`), so cross-account setups
need no bootstrap."""

import base64
import json
import time

import botocore.exceptions
import pytest

from conftest import error_of

PROVIDER = "111111111111"
CUSTOMER = "222222222222"
THIRD = "333333333333"


def trust(principal, condition=None, action="sts:AssumeRole"):
    st = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def allow(action, resource="*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource}]})


def make_user(dev, account, name, policy=None):
    iam = dev.client("iam", key=account)
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def session_client(dev, service, creds, **kw):
    return dev.client(service, key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                      token=creds["SessionToken"], **kw)


def test_seed_000_cross_account_role_reads_the_providers_secret(dev):
    """Seed 000: the provider's role trusts the customer account root; a customer user whose
    only permission is sts:AssumeRole on it assumes it and reads a secret whose resource policy
    denies everyone but the role; the provider's admin is denied; a user without the permission,
    a third account and an EC2-only role are refused."""
    piam = dev.client("iam", key=PROVIDER)
    role_arn = piam.create_role(
        RoleName="CustomerSecretsAccessRole",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{CUSTOMER}:root"}))["Role"]["Arn"]
    piam.put_role_policy(RoleName="CustomerSecretsAccessRole", PolicyName="read",
                         PolicyDocument=allow("secretsmanager:GetSecretValue"))
    sm = dev.client("secretsmanager", key=PROVIDER)
    secret_arn = sm.create_secret(Name="client-a/auth", SecretString='{"token":"t0p"}')["ARN"]
    sm.put_resource_policy(SecretId=secret_arn, ResourcePolicy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                       "Resource": "*",
                       "Condition": {"StringNotEquals": {"aws:PrincipalArn": role_arn}}}]}))

    key, secret = make_user(dev, CUSTOMER, "app", allow("sts:AssumeRole", role_arn))
    sts = dev.client("sts", key=key, secret=secret)
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="client-a")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    assert out["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{PROVIDER}:assumed-role/CustomerSecretsAccessRole/client-a"
    role_id = piam.get_role(RoleName="CustomerSecretsAccessRole")["Role"]["RoleId"]
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{role_id}:client-a"
    assert "PackedPolicySize" not in out
    # The temporary key id encodes the role's account, as AWS's do.
    assert dev.client("sts", key=PROVIDER).get_access_key_info(
        AccessKeyId=creds["AccessKeyId"])["Account"] == PROVIDER

    ident = session_client(dev, "sts", creds).get_caller_identity()
    assert ident["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert ident["Account"] == PROVIDER
    assert ident["UserId"] == f"{role_id}:client-a"
    got = session_client(dev, "secretsmanager", creds).get_secret_value(SecretId=secret_arn)
    assert json.loads(got["SecretString"]) == {"token": "t0p"}

    # The provider's admin user may do anything with secrets but read this one.
    akey, asecret = make_user(dev, PROVIDER, "admin", allow("secretsmanager:*"))
    status, code, msg = error_of(dev.client("secretsmanager", key=akey, secret=asecret)
                                 .get_secret_value, SecretId=secret_arn)
    assert (status, code) == (400, "AccessDeniedException")
    assert msg.endswith("with an explicit deny in a resource-based policy")

    # A customer user without sts:AssumeRole: the classic denial, no "because" clause.
    nkey, nsecret = make_user(dev, CUSTOMER, "nobody")
    status, code, msg = error_of(dev.client("sts", key=nkey, secret=nsecret).assume_role,
                                 RoleArn=role_arn, RoleSessionName="xx")
    assert (status, code) == (403, "AccessDenied")
    assert msg == (f"User: arn:aws:iam::{CUSTOMER}:user/nobody is not authorized to perform: "
                   f"sts:AssumeRole on resource: {role_arn}")
    # A nonexistent role answers exactly like a forbidden one (no enumeration).
    missing = f"arn:aws:iam::{PROVIDER}:role/NoSuchRole"
    assert error_of(sts.assume_role, RoleArn=missing, RoleSessionName="xx") == (
        403, "AccessDenied", f"User: arn:aws:iam::{CUSTOMER}:user/app is not authorized to "
        f"perform: sts:AssumeRole on resource: {missing}")

    # A third account's user with a broad identity policy: the trust policy does not name it.
    tkey, tsecret = make_user(dev, THIRD, "intruder", allow("sts:AssumeRole"))
    status, code, msg = error_of(dev.client("sts", key=tkey, secret=tsecret).assume_role,
                                 RoleArn=role_arn, RoleSessionName="xx")
    assert (status, code) == (403, "AccessDenied")
    assert msg == (f"User: arn:aws:iam::{THIRD}:user/intruder is not authorized to perform: "
                   f"sts:AssumeRole on resource: {role_arn}")

    # A role only EC2 may assume.
    ec2_arn = piam.create_role(RoleName="Ec2Only", AssumeRolePolicyDocument=trust(
        {"Service": "ec2.amazonaws.com"}))["Role"]["Arn"]
    pkey, psecret = make_user(dev, PROVIDER, "dev1", allow("sts:AssumeRole"))
    assert error_of(dev.client("sts", key=pkey, secret=psecret).assume_role,
                    RoleArn=ec2_arn, RoleSessionName="xx")[1] == "AccessDenied"

    # The same flow through the aws CLI.
    proc = dev.cli("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "cli",
                   key=key, secret=secret)
    c = json.loads(proc.stdout)["Credentials"]
    proc = dev.cli("secretsmanager", "get-secret-value", "--secret-id", secret_arn,
                   key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert json.loads(json.loads(proc.stdout)["SecretString"]) == {"token": "t0p"}
    proc = dev.cli("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "cli",
                   key=nkey, secret=nsecret, check=False)
    assert proc.returncode != 0 and "AccessDenied" in proc.stderr


def test_seed_001_external_id_and_durations(dev):
    """Seed 001: MonitoringRole with an ExternalId condition; DurationSeconds limits."""
    piam = dev.client("iam", key=PROVIDER)
    role_arn = piam.create_role(RoleName="MonitoringRole", AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{CUSTOMER}:root"},
        {"StringEquals": {"sts:ExternalId": "monitor-7f3a"}}))["Role"]["Arn"]
    piam.attach_role_policy(RoleName="MonitoringRole",
                            PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    key, secret = make_user(dev, CUSTOMER, "monitor", allow("sts:AssumeRole", role_arn))
    sts = dev.client("sts", key=key, secret=secret)
    denial = (403, "AccessDenied", f"User: arn:aws:iam::{CUSTOMER}:user/monitor is not authorized "
              f"to perform: sts:AssumeRole on resource: {role_arn}")
    assert error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="m1") == denial
    assert error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="m1",
                    ExternalId="wrong-id") == denial
    ok = sts.assume_role(RoleArn=role_arn, RoleSessionName="m1", ExternalId="monitor-7f3a")
    creds = ok["Credentials"]
    # Default duration: one hour.
    assert abs(creds["Expiration"].timestamp() - time.time() - 3600) < 60
    # DurationSeconds outside the model's 900–43200 range: validation errors.
    unchecked = dev.client("sts", key=key, secret=secret, parameter_validation=False)
    for bad in (899, 43201):
        status, code, msg = error_of(unchecked.assume_role, RoleArn=role_arn, RoleSessionName="m1",
                                     ExternalId="monitor-7f3a", DurationSeconds=bad)
        assert (status, code) == (400, "ValidationError"), msg
        assert "durationSeconds" in msg
    # 7200 against the default MaxSessionDuration (3600).
    assert error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="m1",
                    ExternalId="monitor-7f3a", DurationSeconds=7200) == (
        400, "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    piam.update_role(RoleName="MonitoringRole", MaxSessionDuration=43200)
    long = sts.assume_role(RoleArn=role_arn, RoleSessionName="m1", ExternalId="monitor-7f3a",
                           DurationSeconds=43200)
    assert abs(long["Credentials"]["Expiration"].timestamp() - time.time() - 43200) < 60

    # Role chaining: the session assumes a role that trusts it; more than an hour is refused.
    chain_arn = piam.create_role(RoleName="Chained", MaxSessionDuration=43200,
                                 AssumeRolePolicyDocument=trust({"AWS": role_arn}))["Role"]["Arn"]
    piam.put_role_policy(RoleName="MonitoringRole", PolicyName="chain",
                         PolicyDocument=allow("sts:AssumeRole", chain_arn))
    ssts = session_client(dev, "sts", creds)
    assert error_of(ssts.assume_role, RoleArn=chain_arn, RoleSessionName="c1",
                    DurationSeconds=7200) == (
        400, "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining.")
    chained = ssts.assume_role(RoleArn=chain_arn, RoleSessionName="c1")
    assert session_client(dev, "sts", chained["Credentials"]).get_caller_identity()["Arn"] == \
        f"arn:aws:sts::{PROVIDER}:assumed-role/Chained/c1"

    # The seed's "Verify Role Assumption" step through the CLI.
    proc = dev.cli("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "test",
                   "--external-id", "monitor-7f3a", key=key, secret=secret)
    out = json.loads(proc.stdout)
    assert out["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{PROVIDER}:assumed-role/MonitoringRole/test"
    proc = dev.cli("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "test",
                   key=key, secret=secret, check=False)
    assert proc.returncode != 0 and "AccessDenied" in proc.stderr


def test_same_account_trust_naming_the_user_needs_no_identity_policy(dev):
    iam = dev.client("iam", key=PROVIDER)
    key, secret = make_user(dev, PROVIDER, "ops")
    arn = iam.create_role(RoleName="Direct", AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{PROVIDER}:user/ops"}))["Role"]["Arn"]
    sts = dev.client("sts", key=key, secret=secret)
    sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    # Trusting only the account: now the identity policy must allow too.
    iam.update_assume_role_policy(RoleName="Direct", PolicyDocument=trust({"AWS": PROVIDER}))
    assert error_of(sts.assume_role, RoleArn=arn, RoleSessionName="s1")[1] == "AccessDenied"
    # Roots cannot assume roles.
    assert error_of(dev.client("sts", key=PROVIDER).assume_role, RoleArn=arn,
                    RoleSessionName="s1") == (403, "AccessDenied",
                                             "Roles may not be assumed by root accounts.")
    # A malformed role ARN.
    assert error_of(sts.assume_role, RoleArn="arn:a:::something/test-role",
                    RoleSessionName="s1") == (400, "ValidationError",
                                             "arn:a:::something/test-role is invalid")


def test_session_policies_tags_and_principal_keys(dev):
    """Session policies limit the session; session tags need sts:TagSession and override role
    tags in aws:PrincipalTag; aws:PrincipalArn is the role ARN with its path."""
    iam = dev.client("iam", key=PROVIDER)
    key, secret = make_user(dev, PROVIDER, "ops", allow(["sts:AssumeRole", "sts:TagSession"]))
    arn = iam.create_role(RoleName="Tagged", Path="/team/", Tags=[{"Key": "team", "Value": "red"}],
                          AssumeRolePolicyDocument=trust({"AWS": PROVIDER}))["Role"]["Arn"]
    assert arn == f"arn:aws:iam::{PROVIDER}:role/team/Tagged"
    iam.put_role_policy(RoleName="Tagged", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue",
                                            "aws:PrincipalArn": arn}}},
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    sts = dev.client("sts", key=key, secret=secret)
    # Tags without sts:TagSession in the trust policy: denied.
    status, code, msg = error_of(sts.assume_role, RoleArn=arn, RoleSessionName="s1",
                                 Tags=[{"Key": "team", "Value": "blue"}])
    assert (status, code) == (403, "AccessDenied")
    assert "sts:TagSession" in msg
    iam.update_assume_role_policy(RoleName="Tagged", PolicyDocument=trust(
        {"AWS": PROVIDER}, action=["sts:AssumeRole", "sts:TagSession"]))
    out = sts.assume_role(RoleArn=arn, RoleSessionName="s1",
                          Tags=[{"Key": "TEAM", "Value": "blue"}])
    assert 1 <= out["PackedPolicySize"] <= 100
    siam = session_client(dev, "iam", out["Credentials"])
    siam.list_roles()  # role tag red overridden by session tag blue
    plain = session_client(dev, "iam", sts.assume_role(RoleArn=arn, RoleSessionName="s1")[
        "Credentials"])
    status, code, msg = error_of(plain.list_roles)
    assert msg.startswith(f"User: arn:aws:sts::{PROVIDER}:assumed-role/Tagged/s1 is not "
                          "authorized to perform: iam:ListRoles")
    assert error_of(sts.assume_role, RoleArn=arn, RoleSessionName="s1",
                    Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]) == (
        400, "InvalidParameterValue",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    # A session policy that allows only ListRoles: ListUsers is now denied by it.
    limited = sts.assume_role(RoleArn=arn, RoleSessionName="lim", Policy=allow("iam:ListRoles"))
    status, code, msg = error_of(session_client(dev, "iam", limited["Credentials"]).list_users)
    assert (status, code) == (403, "AccessDenied")
    assert msg.endswith("because no session policy allows the iam:ListUsers action")
    assert error_of(sts.assume_role, RoleArn=arn, RoleSessionName="s1",
                    Policy='{"Version":"2012-10-17"}')[1] == "MalformedPolicyDocument"
    # A role session must name the user for user-scoped IAM calls.
    iam.put_role_policy(RoleName="Tagged", PolicyName="keys",
                        PolicyDocument=allow("iam:ListAccessKeys"))
    assert error_of(siam.list_access_keys) == (
        400, "ValidationError", "Must specify userName when calling with non-User credentials")


def test_get_session_token_and_token_failures(dev):
    """Seed 004: get-session-token returns ASIA credentials that work; deleted or inactive keys
    and wrong secrets fail with AWS's codes; an altered token is invalid."""
    iam = dev.client("iam", key=PROVIDER)
    key, secret = make_user(dev, PROVIDER, "scanner", allow("secretsmanager:ListSecrets"))
    sts = dev.client("sts", key=key, secret=secret)
    creds = sts.get_session_token()["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    ident = session_client(dev, "sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{PROVIDER}:user/scanner"
    session_client(dev, "secretsmanager", creds).list_secrets()
    # Without MFA these credentials cannot call IAM, nor STS beyond AssumeRole and
    # GetCallerIdentity (id_credentials_temp_request.md comparison table).
    assert error_of(session_client(dev, "iam", creds).list_users) == (
        403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    assert error_of(session_client(dev, "sts", creds).get_session_token) == (
        403, "AccessDenied", "Cannot call GetSessionToken with session credentials")

    # Wrong secret with a valid token: the signature does not match.
    bad = dict(creds, SecretAccessKey="x" * 40)
    assert error_of(session_client(dev, "sts", bad).get_caller_identity)[1] == \
        "SignatureDoesNotMatch"
    # Token of another session / altered token.
    other = sts.get_session_token()["Credentials"]
    mixed = dict(creds, SessionToken=other["SessionToken"])
    assert error_of(session_client(dev, "sts", mixed).get_caller_identity) == (
        403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    raw = bytearray(base64.b64decode(creds["SessionToken"]))
    raw[len(raw) // 2] ^= 1
    altered = dict(creds, SessionToken=base64.b64encode(bytes(raw)).decode())
    assert error_of(session_client(dev, "sts", altered).get_caller_identity)[1] == \
        "InvalidClientTokenId"
    assert error_of(session_client(dev, "secretsmanager", altered).list_secrets)[:2] == (
        400, "UnrecognizedClientException")
    proc = dev.cli("sts", "get-caller-identity", key=altered["AccessKeyId"],
                   secret=altered["SecretAccessKey"], token=altered["SessionToken"], check=False)
    assert proc.returncode != 0 and "InvalidClientTokenId" in proc.stderr

    # Inactive and deleted long-term keys cannot get a session token.
    iam.update_access_key(UserName="scanner", AccessKeyId=key, Status="Inactive")
    assert error_of(sts.get_session_token)[:2] == (403, "InvalidClientTokenId")
    iam.delete_access_key(UserName="scanner", AccessKeyId=key)
    assert error_of(sts.get_session_token)[:2] == (403, "InvalidClientTokenId")
    # Wrong secret for a good key.
    key2, _ = make_user(dev, PROVIDER, "other")
    assert error_of(dev.client("sts", key=key2, secret="wrong").get_session_token)[1] == \
        "SignatureDoesNotMatch"
    # Deleting the user invalidates its session.
    iam.delete_user_policy(UserName="scanner", PolicyName="p")
    iam.delete_user(UserName="scanner")
    assert error_of(session_client(dev, "sts", creds).get_caller_identity)[1] == \
        "InvalidClientTokenId"


def test_cli_get_session_token_and_mfa_serial_refusal(dev):
    key, secret = make_user(dev, PROVIDER, "cli")
    proc = dev.cli("sts", "get-session-token", "--duration-seconds", "900", key=key, secret=secret)
    c = json.loads(proc.stdout)["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    proc = dev.cli("sts", "get-caller-identity", key=c["AccessKeyId"],
                   secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert json.loads(proc.stdout)["Arn"] == f"arn:aws:iam::{PROVIDER}:user/cli"
    sts = dev.client("sts", key=key, secret=secret)
    assert error_of(sts.get_session_token, SerialNumber=f"arn:aws:iam::{PROVIDER}:mfa/cli",
                    TokenCode="123456") == (
        403, "AccessDenied",
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
        "serial number is valid and associated with this user.")


def test_deleted_role_ends_its_sessions_and_federation_tokens(dev):
    iam = dev.client("iam", key=PROVIDER)
    key, secret = make_user(dev, PROVIDER, "ops", allow(["sts:AssumeRole",
                                                          "sts:GetFederationToken",
                                                          "secretsmanager:ListSecrets"]))
    arn = iam.create_role(RoleName="Temp", AssumeRolePolicyDocument=trust(
        {"AWS": PROVIDER}))["Role"]["Arn"]
    creds = dev.client("sts", key=key, secret=secret).assume_role(
        RoleArn=arn, RoleSessionName="s1")["Credentials"]
    session_client(dev, "sts", creds).get_caller_identity()
    iam.delete_role(RoleName="Temp")
    assert error_of(session_client(dev, "sts", creds).get_caller_identity)[1] == \
        "InvalidClientTokenId"
    # Re-created under the same name: a new role id, the old session stays dead.
    iam.create_role(RoleName="Temp", AssumeRolePolicyDocument=trust({"AWS": PROVIDER}))
    assert error_of(session_client(dev, "sts", creds).get_caller_identity)[1] == \
        "InvalidClientTokenId"

    # GetFederationToken: no policy → no permissions; with one → the intersection.
    sts = dev.client("sts", key=key, secret=secret)
    fed = sts.get_federation_token(Name="bob")
    assert fed["FederatedUser"]["Arn"] == f"arn:aws:sts::{PROVIDER}:federated-user/bob"
    fsm = session_client(dev, "secretsmanager", fed["Credentials"])
    assert error_of(fsm.list_secrets)[1] == "AccessDeniedException"
    fed = sts.get_federation_token(Name="bob", Policy=allow("secretsmanager:ListSecrets"))
    session_client(dev, "secretsmanager", fed["Credentials"]).list_secrets()
    ident = session_client(dev, "sts", fed["Credentials"]).get_caller_identity()
    assert ident["UserId"] == f"{PROVIDER}:bob"
    assert error_of(session_client(dev, "iam", fed["Credentials"]).list_users)[1] == \
        "InvalidClientTokenId"


def totp(seed_b32: str, step: int) -> str:
    import hashlib
    import hmac
    import struct
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    h = hmac.new(key, struct.pack(">q", step), hashlib.sha1).digest()
    off = h[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", h[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def enable_device(dev, user, name, via_cli=False):
    """Creates a virtual MFA device for `user` and enables it with two consecutive codes; returns
    the serial number and the seed."""
    iam = dev.client("iam", key=PROVIDER)
    if via_cli:
        out = dev.data_dir / f"{name}.seed"
        proc = dev.cli("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", name,
                       "--outfile", str(out), "--bootstrap-method", "Base32StringSeed",
                       key=PROVIDER)
        serial = json.loads(proc.stdout)["VirtualMFADevice"]["SerialNumber"]
        seed = out.read_text().strip()
    else:
        d = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        serial, seed = d["SerialNumber"], d["Base32StringSeed"].decode()
    assert serial == f"arn:aws:iam::{PROVIDER}:mfa/{name}"
    step = int(time.time()) // 30
    assert error_of(iam.enable_mfa_device, UserName=user, SerialNumber=serial,
                    AuthenticationCode1=totp(seed, step - 1),
                    AuthenticationCode2=totp(seed, step - 1))[:2] == (
        403, "InvalidAuthenticationCode")
    iam.enable_mfa_device(UserName=user, SerialNumber=serial,
                          AuthenticationCode1=totp(seed, step - 1),
                          AuthenticationCode2=totp(seed, step))
    return serial, seed


def test_mfa_required_trust_policy_and_session_token(dev):
    """Seed 004: a trust policy that requires MFA denies without MFA and with a wrong code, and
    allows with the right one; a code is good once; the session carries
    aws:MultiFactorAuthPresent. GetSessionToken with MFA may call IAM."""
    iam = dev.client("iam", key=PROVIDER)
    key, secret = make_user(dev, PROVIDER, "alice", allow("sts:AssumeRole"))
    serial, seed = enable_device(dev, "alice", "alice-phone", via_cli=True)
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == \
        [serial]
    listed = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [(d["SerialNumber"], d["User"]["UserName"]) for d in listed] == [(serial, "alice")]
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
    arn = iam.create_role(RoleName="Tenant", AssumeRolePolicyDocument=trust(
        {"AWS": PROVIDER}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="Tenant", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}))
    sts = dev.client("sts", key=key, secret=secret)
    assert error_of(sts.assume_role, RoleArn=arn, RoleSessionName="t1") == (
        403, "AccessDenied", f"User: arn:aws:iam::{PROVIDER}:user/alice is not authorized to "
        f"perform: sts:AssumeRole on resource: {arn}")
    step = int(time.time()) // 30
    wrong = "%06d" % ((int(totp(seed, step + 1)) + 1) % 1_000_000)
    invalid = (403, "AccessDenied",
               "MultiFactorAuthentication failed with invalid MFA one time pass code.")
    assert error_of(sts.assume_role, RoleArn=arn, RoleSessionName="t1", SerialNumber=serial,
                    TokenCode=wrong) == invalid
    good = totp(seed, step + 1)
    out = sts.assume_role(RoleArn=arn, RoleSessionName="t1", SerialNumber=serial, TokenCode=good)
    session_client(dev, "iam", out["Credentials"]).list_roles()
    # The same code a second time: refused.
    assert error_of(sts.assume_role, RoleArn=arn, RoleSessionName="t1", SerialNumber=serial,
                    TokenCode=good) == invalid
    # A serial that is not the caller's device.
    assert error_of(sts.assume_role, RoleArn=arn, RoleSessionName="t1",
                    SerialNumber=f"arn:aws:iam::{PROVIDER}:mfa/nope", TokenCode=good)[2] \
        .startswith("MultiFactorAuthentication failed, unable to validate MFA code.")

    # GetSessionToken with MFA: these credentials may call IAM (subject to policies).
    bkey, bsecret = make_user(dev, PROVIDER, "bob", allow("iam:ListUsers"))
    bserial, bseed = enable_device(dev, "bob", "bob-phone")
    creds = dev.client("sts", key=bkey, secret=bsecret).get_session_token(
        SerialNumber=bserial, TokenCode=totp(bseed, int(time.time()) // 30 + 1))["Credentials"]
    session_client(dev, "iam", creds).list_users()

    # Devices in use cannot be deleted, nor their users.
    assert error_of(iam.delete_virtual_mfa_device, SerialNumber=bserial)[:2] == \
        (409, "DeleteConflict")
    iam.deactivate_mfa_device(UserName="bob", SerialNumber=bserial)
    iam.delete_virtual_mfa_device(SerialNumber=bserial)
    assert iam.list_mfa_devices(UserName="bob")["MFADevices"] == []


def test_sessions_survive_restart_and_work_on_a_second_process(tmp_path):
    """No store write per session: a second iamd on the same store and master key accepts the
    sessions the first issued, and so does a restarted one."""
    from conftest import Server
    s1 = Server(data_dir=tmp_path).start()
    servers = [s1]
    try:
        root = json.loads((tmp_path / "bootstrap-credentials.json").read_text())
        acct = root["AccountId"]
        iam = s1.client("iam", key=root["AccessKeyId"], secret=root["SecretAccessKey"])
        iam.create_user(UserName="u1")
        k = iam.create_access_key(UserName="u1")["AccessKey"]
        arn = iam.create_role(RoleName="R", AssumeRolePolicyDocument=trust(
            {"AWS": f"arn:aws:iam::{acct}:user/u1"}))["Role"]["Arn"]
        creds = s1.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).assume_role(
            RoleArn=arn, RoleSessionName="s1")["Credentials"]
        s2 = Server(data_dir=tmp_path).start()
        servers.append(s2)
        for s in (s1, s2):
            assert session_client(s, "sts", creds).get_caller_identity()["Arn"] == \
                f"arn:aws:sts::{acct}:assumed-role/R/s1"
        for s in servers:
            assert s.stop() == 0, s.logs()
        servers = [Server(data_dir=tmp_path).start()]
        assert session_client(servers[0], "sts", creds).get_caller_identity()["Account"] == acct
    finally:
        for s in servers:
            if s.proc and s.proc.poll() is None:
                s.stop()


def test_revoking_sessions_with_token_issue_time_and_source_identity(dev):
    """AWS's "revoke active sessions": a deny on aws:TokenIssueTime older than now ends sessions
    issued before; later ones work. SourceIdentity needs sts:SetSourceIdentity and is reported."""
    iam = dev.client("iam", key=PROVIDER)
    key, secret = make_user(dev, PROVIDER, "ops", allow(["sts:AssumeRole",
                                                          "sts:SetSourceIdentity"]))
    arn = iam.create_role(RoleName="Rev", AssumeRolePolicyDocument=trust(
        {"AWS": PROVIDER}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="Rev", PolicyName="p", PolicyDocument=allow("iam:ListRoles"))
    sts = dev.client("sts", key=key, secret=secret)
    old = sts.assume_role(RoleArn=arn, RoleSessionName="old")["Credentials"]
    session_client(dev, "iam", old).list_roles()
    cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    iam.put_role_policy(RoleName="Rev", PolicyName="AWSRevokeOlderSessions", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}]}))
    status, code, msg = error_of(session_client(dev, "iam", old).list_roles)
    assert (status, code) == (403, "AccessDenied")
    assert msg.endswith("with an explicit deny in an identity-based policy")
    iam.delete_role_policy(RoleName="Rev", PolicyName="AWSRevokeOlderSessions")

    # SourceIdentity: the trust policy must allow sts:SetSourceIdentity too.
    status, code, msg = error_of(sts.assume_role, RoleArn=arn, RoleSessionName="si",
                                 SourceIdentity="alice")
    assert (status, code) == (403, "AccessDenied") and "sts:SetSourceIdentity" in msg
    iam.update_assume_role_policy(RoleName="Rev", PolicyDocument=trust(
        {"AWS": PROVIDER}, action=["sts:AssumeRole", "sts:SetSourceIdentity"]))
    out = sts.assume_role(RoleArn=arn, RoleSessionName="si", SourceIdentity="alice")
    assert out["SourceIdentity"] == "alice"


def test_session_key_rotation(tmp_path):
    """`--session-key-id`: new tokens are sealed under the new id; the previous id stays valid,
    older ids are refused (design §5: sealing keys carry ids and rotate)."""
    from conftest import Server
    s = Server("--dev", data_dir=tmp_path).start()
    try:
        iam = s.client("iam")
        iam.create_user(UserName="rot")
        k = iam.create_access_key(UserName="rot")["AccessKey"]
        c1 = s.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).get_session_token()["Credentials"]
    finally:
        assert s.stop() == 0
    sess = lambda srv, c: srv.client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"],  # noqa: E731
                                     token=c["SessionToken"])
    s2 = Server("--dev", "--session-key-id", "2", data_dir=tmp_path).start()
    try:
        assert sess(s2, c1).get_caller_identity()["Arn"].endswith(":user/rot")
        c2 = s2.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"]).get_session_token()["Credentials"]
    finally:
        assert s2.stop() == 0
    s3 = Server("--dev", "--session-key-id", "3", data_dir=tmp_path).start()
    try:
        assert sess(s3, c2).get_caller_identity()["Arn"].endswith(":user/rot")
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sess(s3, c1).get_caller_identity()
        assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    finally:
        assert s3.stop() == 0


# --- virtual MFA: QR codes, ResyncMFADevice, one-time codes across processes (issues 4, 5) ---

def png_qr_modules(png: bytes):
    """Decodes a grayscale PNG with the standard library, checks it holds a QR code symbol (square,
    white quiet zone, the three 7-module finder patterns in their corners and none in the fourth)
    and returns (pixel side, modules per side). No QR decoder is in the venv; the Rust test
    `qr_png_round_trips_through_a_decoder` decodes the same rendering back to the otpauth URI."""
    import struct
    import zlib
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(png):
        (length,), kind = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        data = png[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])[0] == \
            zlib.crc32(kind + data)
        chunks.setdefault(kind, b"")
        chunks[kind] += data
        pos += 12 + length
    assert b"IEND" in chunks
    w, h, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (w, depth, color) == (h, 8, 0), (w, h, depth, color)
    raw = zlib.decompress(chunks[b"IDAT"])
    rows, prev = [], bytearray(w)
    for y in range(h):
        f, line = raw[y * (w + 1)], bytearray(raw[y * (w + 1) + 1:(y + 1) * (w + 1)])
        for x in range(w):
            a = line[x - 1] if x else 0
            b, c = prev[x], (prev[x - 1] if x else 0)
            if f == 1:
                line[x] = (line[x] + a) & 0xFF
            elif f == 2:
                line[x] = (line[x] + b) & 0xFF
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    dark = lambda x, y: rows[y][x] < 128  # noqa: E731
    quiet = next(i for i in range(w) if dark(i, i))
    scale = next(i for i in range(w) if not dark(quiet + i, quiet)) // 7
    modules = (w - 2 * quiet) // scale
    assert scale >= 1 and (modules - 17) % 4 == 0 and 21 <= modules <= 177, (quiet, scale, modules)
    assert not any(dark(x, y) for y in range(quiet) for x in range(w)), "quiet zone"

    def finder_at(mx, my):
        px = lambda m: quiet + m * scale + scale // 2  # noqa: E731
        want = lambda i, j: max(abs(i - 3), abs(j - 3)) != 2  # noqa: E731 (dark ring, light ring, dark core)
        return all(dark(px(mx + i), px(my + j)) == want(i, j) for i in range(7) for j in range(7))

    assert finder_at(0, 0) and finder_at(modules - 7, 0) and finder_at(0, modules - 7)
    assert not finder_at(modules - 7, modules - 7)
    return w, modules


def test_create_virtual_mfa_device_returns_a_qr_code_png(dev):
    """CreateVirtualMFADevice answers QRCodePNG beside Base32StringSeed (API reference,
    VirtualMFADevice: a QR code of otpauth://totp/$virtualMFADeviceName@$AccountName?secret=…);
    the aws CLI writes it with --bootstrap-method QRCodePNG."""
    iam = dev.client("iam", key=PROVIDER)
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="qr-phone")["VirtualMFADevice"]
    seed = d["Base32StringSeed"].decode()
    assert len(seed) == 64 and base64.b32decode(seed)
    side, modules = png_qr_modules(d["QRCodePNG"])
    # The URI (~100 bytes) needs a version 5–7 symbol at error correction M.
    assert 37 <= modules <= 45 and side >= 4 * modules
    out = dev.data_dir / "qr.png"
    proc = dev.cli("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "qr-cli",
                   "--path", "/team/", "--outfile", str(out), "--bootstrap-method", "QRCodePNG",
                   key=PROVIDER)
    assert json.loads(proc.stdout)["VirtualMFADevice"]["SerialNumber"] == \
        f"arn:aws:iam::{PROVIDER}:mfa/team/qr-cli"
    png_qr_modules(out.read_bytes())
    # Each device has its own seed, so its own picture.
    assert out.read_bytes() != d["QRCodePNG"]
    # AWS's texts as recorded in 2026 (LocalStack's IAM MFA snapshot tests): a second device of
    # the same name, and deleting one that does not exist.
    assert error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName="qr-phone") == (
        409, "EntityAlreadyExists", "MFA device already exists.")
    missing = f"arn:aws:iam::{PROVIDER}:mfa/nonexistent-device"
    assert error_of(iam.delete_virtual_mfa_device, SerialNumber=missing) == (
        404, "NoSuchEntity", f"MFA Device with serial number {missing} does not exist.")


def test_resync_mfa_device_follows_a_drifted_device(dev):
    """ResyncMFADevice (API reference: UserName, SerialNumber, two consecutive codes) accepts the
    codes of a device whose clock runs 4 minutes ahead (iamd looks ±10 steps = ±5 minutes around
    the device's recorded time; AWS does not publish its window), and that device's next code
    then works with STS. Bad input answers AWS's errors and changes nothing: the same good codes
    still resync afterwards."""
    iam = dev.client("iam", key=PROVIDER)
    key, secret = make_user(dev, PROVIDER, "carol")
    serial, seed = enable_device(dev, "carol", "carol-token")
    sts = dev.client("sts", key=key, secret=secret)
    step = int(time.time()) // 30
    ahead = step + 8
    # Before the resync, the drifted device's codes are refused.
    assert error_of(sts.get_session_token, SerialNumber=serial, TokenCode=totp(seed, ahead)) == (
        403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")

    invalid = (403, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
    # Not consecutive (aws CLI), swapped, beyond the window, another user's device, no such user.
    proc = dev.cli("iam", "resync-mfa-device", "--user-name", "carol", "--serial-number", serial,
                   "--authentication-code1", totp(seed, ahead),
                   "--authentication-code2", totp(seed, ahead + 2), key=PROVIDER, check=False)
    assert proc.returncode != 0
    assert "An error occurred (InvalidAuthenticationCode) when calling the ResyncMFADevice " \
        "operation: Authentication code for device is not valid." in proc.stderr
    assert error_of(iam.resync_mfa_device, UserName="carol", SerialNumber=serial,
                    AuthenticationCode1=totp(seed, ahead + 1),
                    AuthenticationCode2=totp(seed, ahead)) == invalid
    assert error_of(iam.resync_mfa_device, UserName="carol", SerialNumber=serial,
                    AuthenticationCode1=totp(seed, step + 14),
                    AuthenticationCode2=totp(seed, step + 15)) == invalid
    make_user(dev, PROVIDER, "dave")
    assert error_of(iam.resync_mfa_device, UserName="dave", SerialNumber=serial,
                    AuthenticationCode1=totp(seed, ahead),
                    AuthenticationCode2=totp(seed, ahead + 1)) == (
        404, "NoSuchEntity", f"MFA Device with serial number {serial} does not exist.")
    assert error_of(iam.resync_mfa_device, UserName="nobody", SerialNumber=serial,
                    AuthenticationCode1=totp(seed, ahead),
                    AuthenticationCode2=totp(seed, ahead + 1)) == (
        404, "NoSuchEntity", "The user with name nobody cannot be found.")
    # Codes must be six digits (the model's constraints; boto3 checks only the length). IAM's
    # validation messages omit the value (see crates/iamd-api/src/validate.rs `hide_value`).
    assert error_of(iam.resync_mfa_device, UserName="carol", SerialNumber=serial,
                    AuthenticationCode1="12345a",
                    AuthenticationCode2=totp(seed, ahead + 1)) == (
        400, "ValidationError", "1 validation error detected: Value at "
        "'authenticationCode1' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [\\d]+")
    # A user without iam:ResyncMFADevice on the user is denied.
    assert error_of(dev.client("iam", key=key, secret=secret).resync_mfa_device,
                    UserName="carol", SerialNumber=serial,
                    AuthenticationCode1=totp(seed, ahead),
                    AuthenticationCode2=totp(seed, ahead + 1)) == (
        403, "AccessDenied", f"User: arn:aws:iam::{PROVIDER}:user/carol is not authorized to "
        f"perform: iam:ResyncMFADevice on resource: arn:aws:iam::{PROVIDER}:user/carol because "
        "no identity-based policy allows the iam:ResyncMFADevice action")

    proc = dev.cli("iam", "resync-mfa-device", "--user-name", "carol", "--serial-number", serial,
                   "--authentication-code1", totp(seed, ahead),
                   "--authentication-code2", totp(seed, ahead + 1), key=PROVIDER)
    assert proc.stdout.strip() == ""
    # The codes are spent; the device's next code works, once.
    assert error_of(iam.resync_mfa_device, UserName="carol", SerialNumber=serial,
                    AuthenticationCode1=totp(seed, ahead),
                    AuthenticationCode2=totp(seed, ahead + 1)) == invalid
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, ahead + 2))["Credentials"]
    session_client(dev, "sts", creds).get_caller_identity()
    assert error_of(sts.get_session_token, SerialNumber=serial,
                    TokenCode=totp(seed, ahead + 2))[:2] == (403, "AccessDenied")


def test_spent_mfa_codes_stay_spent_across_a_restart(tmp_path):
    """The last accepted step lives in the device's record: after a restart on the same SQLite
    store, a code spent before is still refused, and the next one works."""
    from conftest import Server
    s = Server("--dev", data_dir=tmp_path).start()
    try:
        key, secret = make_user(s, PROVIDER, "erin")
        iam = s.client("iam", key=PROVIDER)
        d = iam.create_virtual_mfa_device(VirtualMFADeviceName="erin-phone")["VirtualMFADevice"]
        serial, seed = d["SerialNumber"], d["Base32StringSeed"].decode()
        step = int(time.time()) // 30
        # Enabled with the two codes before now's, so that now's is still unspent.
        iam.enable_mfa_device(UserName="erin", SerialNumber=serial,
                              AuthenticationCode1=totp(seed, step - 2),
                              AuthenticationCode2=totp(seed, step - 1))
        s.client("sts", key=key, secret=secret).get_session_token(
            SerialNumber=serial, TokenCode=totp(seed, step))
    finally:
        assert s.stop() == 0, s.logs()
    s = Server("--dev", data_dir=tmp_path).start()
    try:
        sts = s.client("sts", key=key, secret=secret)
        assert error_of(sts.get_session_token, SerialNumber=serial,
                        TokenCode=totp(seed, step)) == (
            403, "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code.")
        sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, step + 1))
    finally:
        assert s.stop() == 0, s.logs()
