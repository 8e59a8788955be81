"""`iamd policy validate` and `iamd policy simulate`, run as a user runs them (issue 3, item 7)."""

import json
import subprocess

from conftest import iamd_binary

SEED002 = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
    "Resource": "arn:aws:secretsmanager:*:*:secret:cml/*"}]}

# Seed 000's resource policy: deny everyone whose aws:PrincipalArn is not the role.
SEED000_RP = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Reader"}}}]}


def iamd(*args, stdin=None):
    return subprocess.run([iamd_binary(), "policy", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def write(tmp_path, name, doc):
    p = tmp_path / name
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return str(p)


def test_validate_accepts_a_good_policy(tmp_path):
    r = iamd("validate", write(tmp_path, "p.json", SEED002))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "valid identity policy" in r.stdout


def test_validate_reports_iams_messages_and_exits_1(tmp_path):
    cases = [
        ("{not json", "identity", "This policy contains invalid Json"),
        (json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
         "identity", "Policy document must be version 2012-10-17 or greater."),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                             "Action": "s3:*", "Resource": "*"}]}),
         "identity", "Policy document should not specify a principal."),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3",
                                                             "Resource": "*"}]}),
         "identity", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ]
    for text, kind, message in cases:
        r = iamd("validate", "-", "--kind", kind, "--json", stdin=text)
        assert r.returncode == 1, (text, r.stdout, r.stderr)
        out = json.loads(r.stdout)
        assert out["valid"] is False
        assert out["findings"] == [message], (text, out)


def test_validate_counts_size_without_whitespace(tmp_path):
    # A trust policy over 2,048 characters (not counting whitespace) exceeds ACLSizePerRole.
    big = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::1111222233{i:02d}:root" for i in range(60)]},
        "Action": "sts:AssumeRole"}]}
    r = iamd("validate", write(tmp_path, "t.json", json.dumps(big, indent=8)), "--kind", "trust",
             "--json")
    out = json.loads(r.stdout)
    assert out["size"] == len(json.dumps(big, separators=(",", ":")))
    assert r.returncode == 1
    assert out["findings"] == ["Cannot exceed quota for ACLSizePerRole: 2048"]


def test_simulate_explains_seed_000_resource_policy_deny(tmp_path):
    p = write(tmp_path, "id.json", SEED002)
    rp = write(tmp_path, "rp.json", SEED000_RP)
    secret = "arn:aws:secretsmanager:us-east-2:111122223333:secret:cml/app-AbCdEf"
    r = iamd("simulate", "--policy-input-list", f"file://{p}", "--action-names",
             "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "--resource-arns",
             secret, "--resource-policy", rp, "--caller-arn", "arn:aws:iam::111122223333:user/tf",
             "--json")
    assert r.returncode == 1, r.stderr
    res = {x["EvalActionName"]: x for x in json.loads(r.stdout)["EvaluationResults"]}
    get = res["secretsmanager:GetSecretValue"]
    assert get["EvalDecision"] == "explicitDeny"
    assert get["AccessDeniedMessage"] == (
        "User: arn:aws:iam::111122223333:user/tf is not authorized to perform: "
        f"secretsmanager:GetSecretValue on resource: {secret} with an explicit deny in a "
        "resource-based policy")
    assert {m["SourcePolicyId"] for m in get["MatchedStatements"]} == {"ResourcePolicy"}
    assert res["secretsmanager:DescribeSecret"]["EvalDecision"] == "allowed"
    # The role session whose role the resource policy names is allowed.
    r = iamd("simulate", "--policy-input-list", f"file://{p}", "--action-names",
             "secretsmanager:GetSecretValue", "--resource-arns", secret, "--resource-policy", rp,
             "--caller-arn", "arn:aws:sts::111122223333:assumed-role/Reader/s1", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_simulate_context_entries_and_boundary(tmp_path):
    mfa_only = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:*", "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
    p = write(tmp_path, "mfa.json", mfa_only)
    args = ["simulate", "--policy-input-list", p, "--action-names", "iam:ListUsers", "--json"]
    r = iamd(*args)
    assert json.loads(r.stdout)["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    r = iamd(*args, "--context-entries",
             "ContextKeyName=aws:MultiFactorAuthPresent,ContextKeyValues=true,ContextKeyType=boolean")
    assert json.loads(r.stdout)["EvaluationResults"][0]["EvalDecision"] == "allowed"
    # A boundary that does not allow the action narrows it.
    b = write(tmp_path, "b.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    r = iamd(*args, "--permissions-boundary-policy-input-list", b, "--context-entries",
             "ContextKeyName=aws:MultiFactorAuthPresent,ContextKeyValues=true,ContextKeyType=boolean")
    out = json.loads(r.stdout)["EvaluationResults"][0]
    assert out["EvalDecision"] == "implicitDeny"
    assert "permissions boundary" in out["AccessDeniedMessage"]


def test_simulate_rejects_malformed_input(tmp_path):
    r = iamd("simulate", "--policy-input-list", "{bad", "--action-names", "s3:GetObject")
    assert r.returncode == 2
    assert "This policy contains invalid Json" in r.stderr
