"""Issue 11 ("Hold the security boundary"): one test per finding, each reproduced against the
server with boto3 as an attacker would, and each failing before its fix. In dev mode every
12-digit access key id is the root of that account (secret `test`)."""

import base64
import hashlib
import hmac
import json
import re
import struct
import time

import pytest

from conftest import error_of

A = "111111111111"
B = "222222222222"

MFA_INVALID = (403, "AccessDenied",
               "MultiFactorAuthentication failed with invalid MFA one time pass code.")
CODE_INVALID = (403, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
# iamd locks a device after this many wrong codes in a row, first for this many seconds.
LOCK_AFTER = 5
FIRST_LOCK_SECONDS = 30


def totp(seed_b32: str, step: int) -> str:
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    h = hmac.new(key, struct.pack(">q", step), hashlib.sha1).digest()
    off = h[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", h[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def wrong_codes(seed, step, n):
    """`n` six-digit codes that are the device's code for no step near `step`."""
    near = {totp(seed, s) for s in range(step - 12, step + 13)}
    return [c for c in ("%06d" % i for i in range(1000)) if c not in near][:n]


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", condition=None):
    st = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


def make_user(server, account, name, doc=None, tags=None):
    iam = server.client("iam", key=account)
    iam.create_user(UserName=name, **({"Tags": tags} if tags else {}))
    if doc is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def delete_user(server, account, name):
    iam = server.client("iam", key=account)
    for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    for p in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=p)
    iam.delete_user(UserName=name)


def session(server, service, creds):
    return server.client(service, key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                         token=creds["SessionToken"])


def mfa_user(server, name):
    """A user of account A with an enabled virtual device whose codes before now's step are
    spent; returns its access key, the serial, the seed and now's step."""
    key, secret = make_user(server, A, name)
    iam = server.client("iam", key=A)
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-phone")["VirtualMFADevice"]
    serial, seed = d["SerialNumber"], d["Base32StringSeed"].decode()
    step = int(time.time()) // 30
    iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                          AuthenticationCode1=totp(seed, step - 2),
                          AuthenticationCode2=totp(seed, step - 1))
    return (key, secret), serial, seed, step


def eventually(call, seconds=5.0):
    """Retries `call` until it succeeds (another node catches up within a second)."""
    deadline = time.time() + seconds
    while True:
        try:
            return call()
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


# --- Finding 4 (High): MFA codes could be guessed ------------------------------------------------

def test_finding_4_mfa_codes_cannot_be_guessed(dev):
    """After LOCK_AFTER wrong codes in a row (through any operation that checks codes) the
    device is locked: the right code then gets exactly the wrong code's answer, from STS and
    from IAM. Once the lock has run out, the right code works again."""
    (key, secret), serial, seed, step = mfa_user(dev, "mallory")
    sts = dev.client("sts", key=key, secret=secret)
    iam = dev.client("iam", key=A)
    wrong = wrong_codes(seed, step, LOCK_AFTER)
    for c in wrong[:3]:
        assert error_of(sts.get_session_token, SerialNumber=serial, TokenCode=c) == MFA_INVALID
    for c in wrong[3:]:
        assert error_of(iam.resync_mfa_device, UserName="mallory", SerialNumber=serial,
                        AuthenticationCode1=c, AuthenticationCode2=c) == CODE_INVALID
    locked_at = time.time()
    # Locked: the right code is refused with the wrong code's answer, by every operation.
    assert error_of(sts.get_session_token, SerialNumber=serial,
                    TokenCode=totp(seed, step)) == MFA_INVALID
    assert error_of(iam.resync_mfa_device, UserName="mallory", SerialNumber=serial,
                    AuthenticationCode1=totp(seed, step),
                    AuthenticationCode2=totp(seed, step + 1)) == CODE_INVALID
    # A device without failures is not affected (the lock is per device).
    (okey, osecret), other_serial, other_seed, other_step = mfa_user(dev, "trudy")
    dev.client("sts", key=okey, secret=osecret).get_session_token(SerialNumber=other_serial, TokenCode=totp(other_seed, other_step))

    time.sleep(max(0.0, locked_at + FIRST_LOCK_SECONDS + 1 - time.time()))
    now = int(time.time()) // 30
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, now))["Credentials"]
    assert session(dev, "sts", creds).get_caller_identity()["Arn"] == \
        f"arn:aws:iam::{A}:user/mallory"


def test_finding_4_mfa_failures_count_on_every_node(pg_nodes):
    """The failure count lives in the store: wrong codes sent to node A and to node B add up,
    and the device is locked on both."""
    a, b = pg_nodes
    (key, secret), serial, seed, step = mfa_user(a, "mallory")
    sts_a = a.client("sts", key=key, secret=secret)
    sts_b = b.client("sts", key=key, secret=secret)
    eventually(sts_b.get_caller_identity)
    wrong = wrong_codes(seed, step, LOCK_AFTER)
    for c in wrong[:3]:
        assert error_of(sts_a.get_session_token, SerialNumber=serial, TokenCode=c) == MFA_INVALID
    for c in wrong[3:]:
        assert error_of(sts_b.get_session_token, SerialNumber=serial, TokenCode=c) == MFA_INVALID
    for client in (sts_b, sts_a):
        assert error_of(client.get_session_token, SerialNumber=serial,
                        TokenCode=totp(seed, step)) == MFA_INVALID


# --- Finding 2 (High): GetFederationToken took session tags without sts:TagSession -------------

def test_finding_2_federation_token_tags_need_tag_session(dev):
    """A user tagged team=dev whose secrets are guarded by ${aws:PrincipalTag/team} could pass
    the session tag team=prod to GetFederationToken and read the prod secret. Session tags on
    GetFederationToken need sts:TagSession (Service Authorization Reference: TagSession,
    condition keys aws:RequestTag/*, aws:TagKeys), as on AssumeRole."""
    root_sm = dev.client("secretsmanager", key=A)
    prod = root_sm.create_secret(Name="prod-db", SecretString="prod-pw",
                                 Tags=[{"Key": "team", "Value": "prod"}])["ARN"]
    root_sm.create_secret(Name="dev-db", SecretString="dev-pw",
                          Tags=[{"Key": "team", "Value": "dev"}])
    abac = allow("secretsmanager:GetSecretValue", condition={"StringEquals": {
        "secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}"}})
    key, secret = make_user(dev, A, "dev", policy(allow("sts:GetFederationToken"), abac),
                            tags=[{"Key": "team", "Value": "dev"}])
    sts = dev.client("sts", key=key, secret=secret)
    session_policy = policy(allow("secretsmanager:GetSecretValue"))
    fed_arn = f"arn:aws:sts::{A}:federated-user/app"

    # Without tags nothing more is needed; the session is the user's team.
    creds = sts.get_federation_token(Name="app", Policy=session_policy)["Credentials"]
    sm = session(dev, "secretsmanager", creds)
    assert sm.get_secret_value(SecretId="dev-db")["SecretString"] == "dev-pw"
    assert error_of(sm.get_secret_value, SecretId=prod)[1] == "AccessDeniedException"

    # With tags, and without sts:TagSession: refused, as AssumeRole refuses it.
    denied = (403, "AccessDenied",
              f"User: arn:aws:iam::{A}:user/dev is not authorized to perform: sts:TagSession on "
              f"resource: {fed_arn} because no identity-based policy allows the sts:TagSession "
              "action")
    assert error_of(sts.get_federation_token, Name="app", Policy=session_policy,
                    Tags=[{"Key": "team", "Value": "prod"}]) == denied

    # sts:TagSession limited by aws:RequestTag: the user may tag only its own team.
    dev.client("iam", key=A).put_user_policy(UserName="dev", PolicyName="tag", PolicyDocument=policy(
        allow("sts:TagSession", condition={"StringEquals": {"aws:RequestTag/team": "dev"}})))
    assert error_of(sts.get_federation_token, Name="app", Policy=session_policy,
                    Tags=[{"Key": "team", "Value": "prod"}]) == denied
    out = sts.get_federation_token(Name="app", Policy=session_policy,
                                   Tags=[{"Key": "team", "Value": "dev"}])
    sm = session(dev, "secretsmanager", out["Credentials"])
    assert sm.get_secret_value(SecretId="dev-db")["SecretString"] == "dev-pw"
    assert error_of(sm.get_secret_value, SecretId=prod)[1] == "AccessDeniedException"


# --- Finding 5 (Medium): BlockPublicPolicy bypasses; cross-account reads ----------------------

def test_finding_5_block_public_policy_and_cross_account_reads(dev):
    """BlockPublicPolicy refuses every policy that grants access to principals it does not pin
    with fixed values (no wildcard, no policy variable: the definition AWS gives for "public" in
    S3's PublicAccessBlockConfiguration, which Secrets Manager's Zelkova check follows). And a
    secret on the account's aws/secretsmanager key is not readable from another account even
    when its resource policy allows it: that key's policy admits only its own account
    (kms:CallerAccount), so AWS answers the error AWS's knowledge center quotes."""
    sm = dev.client("secretsmanager", key=A)
    arn = sm.create_secret(Name="shared", SecretString="s3cr3t")["ARN"]
    get = "secretsmanager:GetSecretValue"
    public = [
        # NotPrincipal with Allow grants everyone but the listed principal.
        {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": get,
         "Resource": "*"},
        # Wildcards in the values of restricting keys restrict nothing.
        {"Effect": "Allow", "Principal": "*", "Action": get, "Resource": "*",
         "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:*"}}},
        {"Effect": "Allow", "Principal": "*", "Action": get, "Resource": "*",
         "Condition": {"StringLike": {"aws:PrincipalAccount": "????????????"}}},
        {"Effect": "Allow", "Principal": "*", "Action": get, "Resource": "*",
         "Condition": {"StringLike": {"aws:userid": "*:*"}}},
        # A policy variable is not a fixed value either.
        {"Effect": "Allow", "Principal": "*", "Action": get, "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}},
        # A wildcard principal inside a list, or in an ARN.
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{A}:root", "*"]}, "Action": get,
         "Resource": "*"},
        # IfExists: a request without the key passes.
        {"Effect": "Allow", "Principal": "*", "Action": get, "Resource": "*",
         "Condition": {"StringEqualsIfExists": {"aws:PrincipalAccount": A}}},
    ]
    for st in public:
        assert error_of(sm.put_resource_policy, SecretId=arn, ResourcePolicy=policy(st),
                        BlockPublicPolicy=True) == (
            400, "PublicPolicyException",
            "The BlockPublicPolicy parameter is set to true, and the resource policy did not "
            "prevent broad access to the secret."), st
        out = sm.validate_resource_policy(SecretId=arn, ResourcePolicy=policy(st))
        assert out["PolicyValidationPassed"] is False, st
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=arn)

    # Pinned to fixed principals: accepted with the flag, including another account's user.
    rkey, rsecret = make_user(dev, B, "reader", policy(allow(
        ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
         "secretsmanager:BatchGetSecretValue", "secretsmanager:PutSecretValue"])))
    for st in (
        {"Effect": "Allow", "Principal": "*", "Action": get, "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": A}}},
        {"Effect": "Allow", "Principal": "*", "Action": get, "Resource": "*",
         "Condition": {"StringLike": {"aws:userid": "AIDAEXAMPLEEXAMPLE01:*"}}},
    ):
        sm.put_resource_policy(SecretId=arn, ResourcePolicy=policy(st), BlockPublicPolicy=True)
    sm.put_resource_policy(SecretId=arn, BlockPublicPolicy=True, ResourcePolicy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:user/reader"},
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
                    "secretsmanager:PutSecretValue"],
         "Resource": "*"}))

    # The other account's user is allowed by both policies: it may describe the secret, but
    # its value is under the owner's aws/secretsmanager key, for reading and for writing.
    other = dev.client("secretsmanager", key=rkey, secret=rsecret)
    assert other.describe_secret(SecretId=arn)["ARN"] == arn
    kms_denied = (400, "AccessDeniedException",
                  "You can't access a secret from a different AWS account if you encrypt the "
                  "secret with the default KMS service key.")
    assert error_of(other.get_secret_value, SecretId=arn) == kms_denied
    out = other.batch_get_secret_value(SecretIdList=[arn])
    assert out["SecretValues"] == []
    assert [(e["ErrorCode"], e["Message"]) for e in out["Errors"]] == [kms_denied[1:]]
    # Writing a value needs the key too (kms:GenerateDataKey).
    assert error_of(other.put_secret_value, SecretId=arn, SecretString="planted") == kms_denied
    # The owner still reads it.
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "s3cr3t"


# --- Finding 6: CreateSecret was authorized on the bare Name ------------------------------------

def test_finding_6_create_secret_is_authorized_on_its_arn(dev):
    """CreateSecret is authorized on the ARN the secret will have, its random six-character
    suffix included (drawn before authorization, and the secret is created under that very
    ARN), as AWS matches it: a Deny on `secret:prod/*` stops creating `prod/db` and creates
    nothing, and an Allow scoped to `secret:app/*` lets `app/x` through. It was authorized on
    the bare Name, which no ARN pattern matches.

    The denial names that ARN, as AWS's does: a CreateSecret denied by AWS printed `… is not
    authorized to perform: secretsmanager:CreateSecret on resource:
    arn:aws:secretsmanager:eu-central-1:596114806846:secret:secret_default-GJe9zJ` (recorded in
    shalb/cluster.dev#76). The Name-as-given text of aws-semantics.md §4.5 (`on resource:
    cfn/atlas/profile/development`) is a GetSecretValue naming a secret by name, not a
    CreateSecret."""
    prod = "arn:aws:secretsmanager:*:*:secret:prod/*"
    key, secret = make_user(dev, A, "creator", policy(
        allow("secretsmanager:*"),
        {"Effect": "Deny", "Action": "secretsmanager:CreateSecret", "Resource": prod}))
    sm = dev.client("secretsmanager", key=key, secret=secret)
    root = dev.client("secretsmanager", key=A)
    for name in ("prod/db", "prod/api/key"):
        status, code, msg = error_of(sm.create_secret, Name=name, SecretString="pw",
                                     Tags=[{"Key": "team", "Value": "blue"}])
        assert (status, code) == (400, "AccessDeniedException"), msg
        m = re.fullmatch(
            rf"User: arn:aws:iam::{A}:user/creator is not authorized to perform: "
            rf"secretsmanager:CreateSecret on resource: "
            rf"arn:aws:secretsmanager:us-east-1:{A}:secret:{re.escape(name)}-[A-Za-z0-9]{{6}} "
            rf"with an explicit deny in an identity-based policy", msg)
        assert m, msg
        assert error_of(root.describe_secret, SecretId=name)[1] == "ResourceNotFoundException"
    assert root.list_secrets()["SecretList"] == []
    # The same user creates outside prod/.
    arn = sm.create_secret(Name="dev/db", SecretString="pw")["ARN"]
    assert re.fullmatch(rf"arn:aws:secretsmanager:us-east-1:{A}:secret:dev/db-[A-Za-z0-9]{{6}}", arn)

    # An Allow scoped to app/* secrets (with the suffix pattern AWS's examples use, and without).
    for resource in (f"arn:aws:secretsmanager:us-east-1:{A}:secret:app/*",
                     "arn:aws:secretsmanager:*:*:secret:app/x-??????"):
        user = f"app-{len(resource)}"
        key2, secret2 = make_user(dev, A, user, policy(
            allow("secretsmanager:CreateSecret", resource)))
        app = dev.client("secretsmanager", key=key2, secret=secret2)
        name = "app/x"
        arn = app.create_secret(Name=name, SecretString="v")["ARN"]
        assert re.fullmatch(rf"arn:aws:secretsmanager:us-east-1:{A}:secret:app/x-[A-Za-z0-9]{{6}}",
                            arn), arn
        assert root.describe_secret(SecretId=name)["ARN"] == arn
        assert root.get_secret_value(SecretId=arn)["SecretString"] == "v"
        root.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
        # Nothing outside app/.
        status, code, msg = error_of(app.create_secret, Name="other/x", SecretString="v")
        assert (status, code) == (400, "AccessDeniedException")
        assert ":secret:other/x-" in msg and msg.endswith(
            "because no identity-based policy allows the secretsmanager:CreateSecret action"), msg
        assert error_of(root.describe_secret, SecretId="other/x")[1] == "ResourceNotFoundException"


# --- Finding 11 (Low): federation sessions outlived their user ----------------------------------

def test_finding_11_federation_sessions_die_with_their_user(dev):
    """A GetFederationToken session names its IAM user by unique id: once the user is deleted,
    a new user of the same name does not bring the session back (as for AssumeRole and
    GetSessionToken sessions)."""
    doc = policy(allow(["sts:GetFederationToken", "secretsmanager:ListSecrets"]))
    key, secret = make_user(dev, A, "broker", doc)
    creds = dev.client("sts", key=key, secret=secret).get_federation_token(
        Name="app", Policy=policy(allow("secretsmanager:*")))["Credentials"]
    session(dev, "secretsmanager", creds).list_secrets()
    delete_user(dev, A, "broker")
    assert error_of(session(dev, "secretsmanager", creds).list_secrets)[1] == \
        "UnrecognizedClientException"
    # Same name, new user (with more permissions): the old session stays dead.
    make_user(dev, A, "broker", policy(allow("secretsmanager:*")))
    assert error_of(session(dev, "secretsmanager", creds).list_secrets)[1] == \
        "UnrecognizedClientException"
    assert error_of(session(dev, "sts", creds).get_caller_identity)[:2] == \
        (403, "InvalidClientTokenId")


# --- Finding 13 (Low): secret resource policies kept principal ARNs -----------------------------

def test_finding_13_secret_policies_hold_principal_ids(dev):
    """A secret's resource policy holds the unique ids of the users and roles it names, as IAM
    does for trust policies: a user deleted and recreated under the same name is not granted
    anything, and GetResourcePolicy shows the old id in place of the ARN. A principal that does
    not exist is refused when the policy is put (AWS's text, as terraform-provider-aws retries
    on it)."""
    sm = dev.client("secretsmanager", key=A)
    arn = sm.create_secret(Name="app/db", SecretString="pw")["ARN"]
    reader_arn = f"arn:aws:iam::{A}:user/reader"
    doc = policy({"Effect": "Allow", "Principal": {"AWS": reader_arn},
                  "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    key, secret = make_user(dev, A, "reader")
    old_id = dev.client("iam", key=A).get_user(UserName="reader")["User"]["UserId"]
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=doc)
    assert sm.get_resource_policy(SecretId=arn)["ResourcePolicy"] == doc
    reader = dev.client("secretsmanager", key=key, secret=secret)
    assert reader.get_secret_value(SecretId=arn)["SecretString"] == "pw"

    delete_user(dev, A, "reader")
    key, secret = make_user(dev, A, "reader")
    reader = dev.client("secretsmanager", key=key, secret=secret)
    status, code, msg = error_of(reader.get_secret_value, SecretId=arn)
    assert (status, code) == (400, "AccessDeniedException")
    assert msg.startswith(f"User: {reader_arn} is not authorized to perform: "
                          f"secretsmanager:GetSecretValue on resource: {arn}")
    shown = sm.get_resource_policy(SecretId=arn)["ResourcePolicy"]
    assert shown == doc.replace(f'"{reader_arn}"', f'"{old_id}"')

    # Naming a principal that does not exist is refused, and changes nothing.
    ghost = doc.replace("user/reader", "user/ghost")
    assert error_of(sm.put_resource_policy, SecretId=arn, ResourcePolicy=ghost) == (
        400, "MalformedPolicyDocumentException",
        "This resource policy contains an unsupported principal.")
    assert sm.get_resource_policy(SecretId=arn)["ResourcePolicy"] == shown


def test_finding_12_update_user_is_authorized_on_the_old_and_the_new_arn(dev):
    """AWS: "To change a user name, the requester must have appropriate permissions on both the
    source object and the target object" (API_UpdateUser). A delegate allowed iam:UpdateUser on
    `user/dev/*` only moved `dev/x` to `/admin/` before the fix; now the move is denied on the
    new ARN and nothing changes, while a move within `/dev/` still works."""
    root = dev.client("iam", key=A)
    root.create_user(UserName="x", Path="/dev/")
    key, secret = make_user(dev, A, "delegate", policy(
        allow("iam:UpdateUser", f"arn:aws:iam::{A}:user/dev/*"),
        allow("iam:GetUser")))
    iam = dev.client("iam", key=key, secret=secret)
    status, code, message = error_of(iam.update_user, UserName="x", NewPath="/admin/")
    assert (status, code) == (403, "AccessDenied")
    assert message == (
        f"User: arn:aws:iam::{A}:user/delegate is not authorized to perform: iam:UpdateUser "
        f"on resource: arn:aws:iam::{A}:user/admin/x because no identity-based policy allows "
        "the iam:UpdateUser action")
    assert root.get_user(UserName="x")["User"]["Path"] == "/dev/"
    status, code, _ = error_of(iam.update_user, UserName="x", NewUserName="y", NewPath="/ops/")
    assert (status, code) == (403, "AccessDenied")
    iam.update_user(UserName="x", NewUserName="x2")
    assert root.get_user(UserName="x2")["User"]["Arn"] == f"arn:aws:iam::{A}:user/dev/x2"


def test_finding_14_simulation_finds_the_principal_by_its_whole_arn(dev):
    """A delegate allowed to simulate only `user/dev/*` asked for `user/dev/boss` and got the
    decisions of `boss` (path `/`): the principal was looked up by the ARN's last segment. Now
    the whole ARN must name the entity — `user/dev/boss` names nothing, so NoSuchEntity with
    AWS's text, and nothing of `boss` is revealed; `boss` itself is out of the delegate's scope."""
    root = dev.client("iam", key=A)
    root.create_user(UserName="boss")
    root.put_user_policy(UserName="boss", PolicyName="p", PolicyDocument=policy(
        allow("secretsmanager:GetSecretValue")))
    root.create_user(UserName="intern", Path="/dev/")
    key, secret = make_user(dev, A, "delegate", policy(
        allow(["iam:SimulatePrincipalPolicy", "iam:GetContextKeysForPrincipalPolicy"],
              f"arn:aws:iam::{A}:user/dev/*")))
    iam = dev.client("iam", key=key, secret=secret)
    forged = f"arn:aws:iam::{A}:user/dev/boss"
    for call, extra in ((iam.simulate_principal_policy,
                         {"ActionNames": ["secretsmanager:GetSecretValue"]}),
                        (iam.get_context_keys_for_principal_policy, {})):
        status, code, message = error_of(call, PolicySourceArn=forged, **extra)
        assert (status, code, message) == (
            404, "NoSuchEntity", f"The entity with ARN {forged} cannot be found.")
    status, code, _ = error_of(iam.simulate_principal_policy,
                               PolicySourceArn=f"arn:aws:iam::{A}:user/boss",
                               ActionNames=["secretsmanager:GetSecretValue"])
    assert (status, code) == (403, "AccessDenied")
    # Within its scope the delegate simulates as before.
    r = iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{A}:user/dev/intern",
                                      ActionNames=["secretsmanager:GetSecretValue"])
    assert r["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"


def test_simulation_pages_over_the_action_resource_grid(dev):
    """SimulateCustomPolicy over 300 actions × 300 resources (90,000 results) answers its first
    page of 100 and its last page with the right marker arithmetic. The per-page computation that
    bounds the work of one request (issue #11 finding 3) rests on this indexing; the bound itself
    is measured by the bounded-work check."""
    iam = dev.client("iam", key=A)
    actions = [f"s3:GetObject{i}" for i in range(300)]
    resources = [f"arn:aws:s3:::b/{i}" for i in range(300)]
    doc = policy(allow("s3:*"))
    first = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=actions,
                                       ResourceArns=resources, MaxItems=100)
    assert len(first["EvaluationResults"]) == 100
    assert first["IsTruncated"] is True and first["Marker"] == "100"
    assert first["EvaluationResults"][0]["EvalResourceName"] == resources[0]
    last = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=actions,
                                      ResourceArns=resources, MaxItems=100, Marker="89950")
    assert len(last["EvaluationResults"]) == 50
    assert last["IsTruncated"] is False and "Marker" not in last
    assert last["EvaluationResults"][-1]["EvalActionName"] == actions[-1]
    assert last["EvaluationResults"][-1]["EvalResourceName"] == resources[-1]
