#!/usr/bin/env python3
"""Writes the conformance corpus (tests/corpus/*.json), one file per case.

The corpus files are the source of truth that `cargo test` runs; this script is how they were
produced (edit it and re-run to regenerate: `python3 tests/gen_corpus.py`). Every case names the
AWS document or recorded AWS response that justifies its expectation in `source`.
Expectations come from AWS's documentation, never from another engine's code or tests.
"""
import json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
D = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
OPS = D + "reference_policies_elements_condition_operators.html"
MULTI = D + "reference_policies_condition-logic-multiple-context-keys-or-values.html"
SVM = D + "reference_policies_condition-single-vs-multi-valued-context-keys.html"
VARS = D + "reference_policies_variables.html"
DENYALLOW = D + "reference_policies_evaluation-logic_policy-eval-denyallow.html"
EVAL = D + "reference_policies_evaluation-logic.html"
CROSS = D + "reference_policies_evaluation-logic-cross-account.html"
SESSION = D + "access_policies.html#policies_session"
BOUNDARY = D + "access_policies_boundaries.html"
PRINCIPAL = D + "reference_policies_elements_principal.html"
NOTPRINCIPAL = D + "reference_policies_elements_notprincipal.html"
ACTION = D + "reference_policies_elements_action.html"
NOTACTION = D + "reference_policies_elements_notaction.html"
RESOURCE = D + "reference_policies_elements_resource.html"
NOTRESOURCE = D + "reference_policies_elements_notresource.html"
CONDITION = D + "reference_policies_elements_condition.html"
KEYS = D + "reference_policies_condition-keys.html"
VERSION = D + "reference_policies_elements_version.html"
SID = D + "reference_policies_elements_sid.html"
QUOTAS = D + "reference_iam-quotas.html"
GRAMMAR = D + "reference_policies_grammar.html"
DENIED = D + "troubleshoot_access-denied.html"
SCP = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"
RCP = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html"
KMS = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"
ASSUME = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"
FEDTOKEN = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html"
MFA = D + "id_credentials_mfa_configure-api-require.html"
IAMY65 = "https://github.com/99designs/iamy/issues/65"
METEOR = "https://github.com/Meteor-Community-Packages/Meteor-CollectionFS/issues/630"
LOCALSTACK_IAM = "https://github.com/localstack/localstack/blob/main/tests/aws/services/iam/test_iam.snapshot.json"
SM_REC = "https://github.com/awsdocs/aws-cloudformation-user-guide/pull/623"

A = "111122223333"
B = "444455556666"
SECRET = f"arn:aws:secretsmanager:us-east-1:{A}:secret:app/db-AbCdEf"
SECRET_B = f"arn:aws:secretsmanager:us-east-1:{B}:secret:shared/db-AbCdEf"
GSV = "secretsmanager:GetSecretValue"

ALICE = {"type": "User", "account": A, "name": "alice", "id": "AIDAALICEEXAMPLE0001"}
BOB = {"type": "User", "account": A, "name": "bob", "id": "AIDABOBEXAMPLE000001"}
READER = {"type": "AssumedRole", "account": A, "role": "Reader", "path": "/", "id": "AROAREADEREXAMPLE001", "session": "s1"}
READER_B = {"type": "AssumedRole", "account": B, "role": "Reader", "path": "/", "id": "AROAREADERBEXAMPLE01", "session": "s1"}
OTHER_B = {"type": "AssumedRole", "account": B, "role": "Other", "path": "/", "id": "AROAOTHERBEXAMPLE001", "session": "s1"}
ROOT = {"type": "Root", "account": A}
FED = {"type": "FederatedUser", "account": A, "name": "fed"}
USER_B = {"type": "User", "account": B, "name": "carol", "id": "AIDACAROLEXAMPLE0001"}

cases = {}


def add(name, case):
    assert name not in cases, name
    cases[name] = case


def stmt(effect="Allow", action=GSV, resource="*", cond=None, sid=None, principal=None, notaction=None, notresource=None, notprincipal=None, no_resource=False):
    s = {}
    if sid is not None:
        s["Sid"] = sid
    s["Effect"] = effect
    if principal is not None:
        s["Principal"] = principal
    if notprincipal is not None:
        s["NotPrincipal"] = notprincipal
    if notaction is not None:
        s["NotAction"] = notaction
    else:
        s["Action"] = action
    if notresource is not None:
        s["NotResource"] = notresource
    elif not no_resource:
        s["Resource"] = resource
    if cond is not None:
        s["Condition"] = cond
    return s


def pol(*stmts, version="2012-10-17"):
    p = {}
    if version is not None:
        p["Version"] = version
    p["Statement"] = list(stmts)
    return p


def ev(name, source, expect, principal=ALICE, action=GSV, resource=SECRET, resource_account=None, **kw):
    c = {"source": source, "principal": principal, "action": action, "resource": resource,
         "resource_account": resource_account or (principal.get("account") or A), "expect": expect}
    c.update(kw)
    add(name, c)


def cond_case(name, source, op, key, values, ctx, match, note=None):
    """Identity Allow with one condition; ctx None = key absent."""
    context = {} if ctx is None else {key: ctx}
    c = {"identity": [pol(stmt(cond={op: {key: values}}))], "context": context}
    if note:
        c["note"] = note
    ev("cond-" + name, source, "Allowed" if match else "ImplicitDeny", **c)


# ---------------------------------------------------------------- condition operators
S = "ctx:value"  # any vendor:key works for generic operator tests
T = [
    ("string-equals-match", "StringEquals", S, "a", "a", True),
    ("string-equals-case-sensitive", "StringEquals", S, "a", "A", False),
    ("string-equals-absent", "StringEquals", S, "a", None, False),
    ("string-equals-any-of-values", "StringEquals", S, ["x", "a"], "a", True),
    ("string-equals-none-of-values", "StringEquals", S, ["x", "y"], "a", False),
    ("string-equals-star-is-literal", "StringEquals", S, "a*", "abc", False),
    ("string-equals-star-literal-match", "StringEquals", S, "a*", "a*", True),
    ("string-not-equals-differs", "StringNotEquals", S, "a", "b", True),
    ("string-not-equals-same", "StringNotEquals", S, "a", "a", False),
    ("string-not-equals-absent", "StringNotEquals", S, "a", None, True),
    ("string-not-equals-nor-hit", "StringNotEquals", S, ["a", "b"], "b", False),
    ("string-not-equals-nor-miss", "StringNotEquals", S, ["a", "b"], "c", True),
    ("string-equals-ignore-case-match", "StringEqualsIgnoreCase", S, "ABC", "abc", True),
    ("string-equals-ignore-case-miss", "StringEqualsIgnoreCase", S, "ABC", "abd", False),
    ("string-equals-ignore-case-absent", "StringEqualsIgnoreCase", S, "ABC", None, False),
    ("string-not-equals-ignore-case-same", "StringNotEqualsIgnoreCase", S, "ABC", "abc", False),
    ("string-not-equals-ignore-case-differs", "StringNotEqualsIgnoreCase", S, "ABC", "x", True),
    ("string-not-equals-ignore-case-absent", "StringNotEqualsIgnoreCase", S, "ABC", None, True),
    ("string-like-star-spans-slash", "StringLike", S, "app/*", "app/x/y", True),
    ("string-like-question-one-char", "StringLike", S, "app/?", "app/x", True),
    ("string-like-question-not-two", "StringLike", S, "app/?", "app/xy", False),
    ("string-like-case-sensitive", "StringLike", S, "App/*", "app/x", False),
    ("string-like-absent", "StringLike", S, "*", None, False),
    ("string-like-star-matches-empty", "StringLike", S, "app*", "app", True),
    ("string-like-any-of", "StringLike", S, ["x*", "a*"], "abc", True),
    ("string-not-like-miss", "StringNotLike", S, "app/*", "other", True),
    ("string-not-like-hit", "StringNotLike", S, "app/*", "app/1", False),
    ("string-not-like-absent", "StringNotLike", S, "app/*", None, True),
    ("string-not-like-nor", "StringNotLike", S, ["x*", "o*"], "other", False),
    ("numeric-equals", "NumericEquals", S, "10", "10", True),
    ("numeric-equals-decimal-form", "NumericEquals", S, "10", "10.0", True),
    ("numeric-equals-json-number", "NumericEquals", S, 10, "10", True),
    ("numeric-equals-miss", "NumericEquals", S, "10", "11", False),
    ("numeric-equals-absent", "NumericEquals", S, "10", None, False),
    ("numeric-equals-non-numeric-request", "NumericEquals", S, "10", "ten", False),
    ("numeric-not-equals", "NumericNotEquals", S, "10", "11", True),
    ("numeric-not-equals-same", "NumericNotEquals", S, "10", "10", False),
    ("numeric-not-equals-absent", "NumericNotEquals", S, "10", None, True),
    ("numeric-less-than", "NumericLessThan", S, "10", "9", True),
    ("numeric-less-than-equal-is-false", "NumericLessThan", S, "10", "10", False),
    ("numeric-less-than-decimal", "NumericLessThan", S, "1.5", "1.25", True),
    ("numeric-less-than-negative", "NumericLessThan", S, "0", "-3", True),
    ("numeric-less-than-equals", "NumericLessThanEquals", S, "10", "10", True),
    ("numeric-less-than-equals-above", "NumericLessThanEquals", S, "10", "10.5", False),
    ("numeric-greater-than", "NumericGreaterThan", S, "10", "11", True),
    ("numeric-greater-than-equal-is-false", "NumericGreaterThan", S, "10", "10", False),
    ("numeric-greater-than-equals", "NumericGreaterThanEquals", S, "10", "10", True),
    ("numeric-greater-than-equals-below", "NumericGreaterThanEquals", S, "10", "9", False),
    ("numeric-any-of-values", "NumericEquals", S, ["1", "2", "3"], "2", True),
    ("date-equals-iso", "DateEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", True),
    ("date-equals-epoch-vs-iso", "DateEquals", "aws:CurrentTime", "1767225600", "2026-01-01T00:00:00Z", True),
    ("date-equals-miss", "DateEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", False),
    ("date-not-equals", "DateNotEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", True),
    ("date-not-equals-absent", "DateNotEquals", "ctx:when", "2026-01-01T00:00:00Z", None, True),
    ("date-less-than", "DateLessThan", "aws:CurrentTime", "2026-06-01T00:00:00Z", "2026-05-31T23:59:59Z", True),
    ("date-less-than-after", "DateLessThan", "aws:CurrentTime", "2026-06-01T00:00:00Z", "2026-06-01T00:00:01Z", False),
    ("date-less-than-date-only", "DateLessThan", "aws:CurrentTime", "2026-06-01", "2026-05-31T12:00:00Z", True),
    ("date-less-than-equals", "DateLessThanEquals", "aws:CurrentTime", "2026-06-01T00:00:00Z", "2026-06-01T00:00:00Z", True),
    ("date-greater-than", "DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2026-01-01T00:00:00Z", True),
    ("date-greater-than-before", "DateGreaterThan", "aws:CurrentTime", "2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z", False),
    ("date-greater-than-equals", "DateGreaterThanEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", True),
    ("date-greater-than-offset", "DateGreaterThan", "aws:CurrentTime", "2026-01-01T01:00:00+02:00", "2026-01-01T00:00:00Z", True),
    ("date-fractional-seconds", "DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00.500Z", "2026-01-01T00:00:00.250Z", True),
    ("date-epoch-request", "DateGreaterThan", "aws:EpochTime", "2026-01-01T00:00:00Z", "1800000000", True),
    ("date-absent", "DateGreaterThan", "ctx:when", "2020-01-01T00:00:00Z", None, False),
    ("numeric-epoch-time", "NumericGreaterThan", "aws:EpochTime", "1767225600", "1800000000", True),
    ("bool-true", "Bool", "aws:SecureTransport", "true", True, True),
    ("bool-false-vs-true", "Bool", "aws:SecureTransport", "false", True, False),
    ("bool-json-boolean", "Bool", "aws:SecureTransport", True, True, True),
    ("bool-absent", "Bool", "aws:SecureTransport", "true", None, False),
    ("bool-string-request", "Bool", "aws:SecureTransport", "false", "false", True),
    ("bool-case-insensitive-value", "Bool", "aws:SecureTransport", "TRUE", True, True),
    ("binary-equals", "BinaryEquals", "ctx:blob", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    ("binary-equals-miss", "BinaryEquals", "ctx:blob", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "b3RoZXI=", False),
    ("binary-equals-absent", "BinaryEquals", "ctx:blob", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", None, False),
    ("ip-cidr-v4", "IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.5", True),
    ("ip-cidr-v4-miss", "IpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", False),
    ("ip-bare-address-is-32", "IpAddress", "aws:SourceIp", "203.0.113.5", "203.0.113.5", True),
    ("ip-bare-address-other", "IpAddress", "aws:SourceIp", "203.0.113.5", "203.0.113.6", False),
    ("ip-v6-cidr", "IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True),
    ("ip-v6-cidr-miss", "IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", False),
    ("ip-any-of", "IpAddress", "aws:SourceIp", ["192.0.2.0/24", "203.0.113.0/24"], "203.0.113.9", True),
    ("ip-absent", "IpAddress", "aws:SourceIp", "0.0.0.0/0", None, False),
    ("ip-v4-not-in-v6", "IpAddress", "aws:SourceIp", "2001:db8::/32", "203.0.113.5", False),
    ("not-ip-outside", "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", True),
    ("not-ip-inside", "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.1", False),
    ("not-ip-absent", "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", None, True),
    ("not-ip-nor", "NotIpAddress", "aws:SourceIp", ["192.0.2.0/24", "203.0.113.0/24"], "192.0.2.1", False),
    ("arn-like-wildcards-per-segment", "ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", f"arn:aws:iam::{A}:role/a/b", True),
    ("arn-equals-allows-wildcards", "ArnEquals", "aws:SourceArn", "arn:aws:sns:*:*:topic", f"arn:aws:sns:us-east-1:{A}:topic", True),
    ("arn-equals-exact", "ArnEquals", "aws:SourceArn", f"arn:aws:sns:us-east-1:{A}:topic", f"arn:aws:sns:us-east-1:{A}:topic", True),
    ("arn-like-miss", "ArnLike", "aws:SourceArn", f"arn:aws:iam::{A}:role/x", f"arn:aws:iam::{A}:role/y", False),
    ("arn-like-empty-region-segment", "ArnLike", "aws:SourceArn", "arn:aws:s3:::bucket", "arn:aws:s3:us-east-1::bucket", False),
    ("arn-like-star-does-not-cross-colon", "ArnLike", "aws:SourceArn", "arn:aws:*:us-east-1:*:x", "arn:aws:sns:eu-west-1:111122223333:x", False),
    ("arn-like-resource-keeps-colons", "ArnLike", "aws:SourceArn", "arn:aws:logs:*:*:log-group:*", f"arn:aws:logs:us-east-1:{A}:log-group:g:log-stream:s", True),
    ("arn-like-request-not-arn", "ArnLike", "aws:SourceArn", "arn:aws:*:*:*:*", "not-an-arn", False),
    ("arn-like-absent", "ArnLike", "aws:SourceArn", "arn:aws:*:*:*:*", None, False),
    ("arn-not-equals-differs", "ArnNotEquals", "aws:SourceArn", f"arn:aws:iam::{A}:role/x", f"arn:aws:iam::{A}:role/y", True),
    ("arn-not-equals-same", "ArnNotEquals", "aws:SourceArn", f"arn:aws:iam::{A}:role/x", f"arn:aws:iam::{A}:role/x", False),
    ("arn-not-like-absent", "ArnNotLike", "aws:SourceArn", "arn:aws:iam::*:role/x", None, True),
    ("arn-not-like-hit", "ArnNotLike", "aws:SourceArn", "arn:aws:iam::*:role/*", f"arn:aws:iam::{A}:role/x", False),
    ("null-true-absent", "Null", "ctx:tag", "true", None, True),
    ("null-true-present", "Null", "ctx:tag", "true", "x", False),
    ("null-false-present", "Null", "ctx:tag", "false", "x", True),
    ("null-false-absent", "Null", "ctx:tag", "false", None, False),
    ("null-json-bool", "Null", "ctx:tag", True, None, True),
    ("if-exists-absent", "StringEqualsIfExists", S, "a", None, True),
    ("if-exists-present-match", "StringEqualsIfExists", S, "a", "a", True),
    ("if-exists-present-mismatch", "StringEqualsIfExists", S, "a", "b", False),
    ("if-exists-numeric-absent", "NumericLessThanIfExists", S, "5", None, True),
    ("if-exists-numeric-present", "NumericLessThanIfExists", S, "5", "7", False),
    ("if-exists-ip-absent", "IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", None, True),
    ("if-exists-ip-present-outside", "IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", "11.0.0.1", False),
    ("if-exists-date-absent", "DateGreaterThanIfExists", "ctx:when", "2020-01-01", None, True),
    ("if-exists-arn-absent", "ArnLikeIfExists", "aws:SourceArn", "arn:aws:*:*:*:*", None, True),
    ("if-exists-bool-absent", "BoolIfExists", "ctx:flag", "true", None, True),
    ("if-exists-bool-present-false", "BoolIfExists", "ctx:flag", "true", False, False),
    ("if-exists-negated-present-same", "StringNotEqualsIfExists", S, "a", "a", False),
    ("if-exists-like-present", "StringLikeIfExists", S, "a*", "abc", True),
    ("key-name-case-insensitive", "IpAddress", "AWS:SOURCEIP", "10.0.0.0/8", "10.1.1.1", True),
    ("operator-name-case-insensitive", "stringequals", S, "a", "a", True),
]
for name, op, key, values, ctx, match in T:
    cond_case(name, OPS, op, key, values, ctx, match)
cases["cond-operator-name-case-insensitive"]["note"] = (
    "Unverified against AWS: we accept operator names case-insensitively (lenient choice; "
    "a stricter AWS would reject the policy at write time, so evaluation never sees it).")
cases["cond-bool-case-insensitive-value"]["note"] = "Choice: Bool compares 'true'/'false' case-insensitively."

# key name case-insensitivity where policy and context spell the key differently
ev("cond-context-key-case-insensitive", CONDITION, "Allowed",
   identity=[pol(stmt(cond={"StringEquals": {"aws:PrincipalTag/Team": "blue"}}))],
   context={"AWS:principaltag/team": "blue"})

# ---------------------------------------------------------------- multiple keys / operators
ev("logic-two-keys-and-both", MULTI, "Allowed",
   identity=[pol(stmt(cond={"StringEquals": {"ctx:a": "1", "ctx:b": "2"}}))], context={"ctx:a": "1", "ctx:b": "2"})
ev("logic-two-keys-and-one-fails", MULTI, "ImplicitDeny",
   identity=[pol(stmt(cond={"StringEquals": {"ctx:a": "1", "ctx:b": "2"}}))], context={"ctx:a": "1", "ctx:b": "3"})
ev("logic-two-operators-and", MULTI, "ImplicitDeny",
   identity=[pol(stmt(cond={"StringEquals": {"ctx:a": "1"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))],
   context={"ctx:a": "1", "aws:SourceIp": "192.0.2.1"})
ev("logic-two-operators-and-pass", MULTI, "Allowed",
   identity=[pol(stmt(cond={"StringEquals": {"ctx:a": "1"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))],
   context={"ctx:a": "1", "aws:SourceIp": "10.2.3.4"})
ev("logic-values-or", MULTI, "Allowed",
   identity=[pol(stmt(cond={"StringEquals": {"aws:PrincipalTag/dept": ["hr", "it"]}}))],
   principal=dict(ALICE, tags={"dept": "it"}))
ev("logic-empty-condition-block", CONDITION, "Allowed", identity=[pol(stmt(cond={}))])

# ---------------------------------------------------------------- set operators
TK = "aws:TagKeys"
Q = [
    ("forall-subset", "ForAllValues:StringEquals", ["a", "b"], ["a"], True),
    ("forall-all-listed", "ForAllValues:StringEquals", ["a", "b"], ["b", "a"], True),
    ("forall-extra-value", "ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
    ("forall-absent-is-true", "ForAllValues:StringEquals", ["a"], None, True),
    ("forall-empty-is-true", "ForAllValues:StringEquals", ["a"], [], True),
    ("forany-one-listed", "ForAnyValue:StringEquals", ["a"], ["a", "c"], True),
    ("forany-none-listed", "ForAnyValue:StringEquals", ["a"], ["c"], False),
    ("forany-absent-is-false", "ForAnyValue:StringEquals", ["a"], None, False),
    ("forany-empty-is-false", "ForAnyValue:StringEquals", ["a"], [], False),
    ("forall-not-equals-none-listed", "ForAllValues:StringNotEquals", ["a"], ["b", "c"], True),
    ("forall-not-equals-one-listed", "ForAllValues:StringNotEquals", ["a"], ["a", "b"], False),
    ("forany-not-equals-some-unlisted", "ForAnyValue:StringNotEquals", ["a"], ["a", "b"], True),
    ("forany-not-equals-all-listed", "ForAnyValue:StringNotEquals", ["a"], ["a"], False),
    ("forall-like", "ForAllValues:StringLike", ["team-*"], ["team-a", "team-b"], True),
    ("forall-like-miss", "ForAllValues:StringLike", ["team-*"], ["team-a", "cost"], False),
    ("forany-like", "ForAnyValue:StringLike", ["cost*"], ["team-a", "costcenter"], True),
    ("forany-ignore-case", "ForAnyValue:StringEqualsIgnoreCase", ["COST"], ["cost"], True),
    ("forall-if-exists-absent", "ForAllValues:StringEqualsIfExists", ["a"], None, True),
    ("forany-if-exists-absent", "ForAnyValue:StringEqualsIfExists", ["a"], None, True),
    ("forany-single-valued-key", "ForAnyValue:StringEquals", ["a"], "a", True),
    ("forall-single-valued-key-miss", "ForAllValues:StringEquals", ["a"], "b", False),
]
for name, op, values, ctx, match in Q:
    cond_case("set-" + name, SVM, op, TK, values, ctx, match)
cond_case("set-plain-operator-on-multivalued-key", SVM, "StringEquals", TK, "a", ["a"], False,
          note="Open in AWS docs (using a single-valued operator on a multivalued key is 'not supported'); we choose non-matching, as the independent engine iam-simulate does (reference §2.5, §9 item 6).")
cond_case("set-plain-negated-operator-on-multivalued-key", SVM, "StringNotEquals", TK, "z", ["a"], False,
          note="Same choice as set-plain-operator-on-multivalued-key: a plain operator never matches a multivalued key.")
ev("set-forall-deny-pattern", SVM, "ExplicitDeny",
   identity=[pol(stmt(action="*"), stmt("Deny", cond={"ForAnyValue:StringEquals": {TK: ["protected"]}}))],
   context={TK: ["env", "protected"]})
ev("set-forall-allow-needs-null-guard", SVM, "ImplicitDeny",
   note="ForAllValues alone is true when the key is absent; the documented guard with Null makes the Allow require the key.",
   identity=[pol(stmt(cond={"ForAllValues:StringEquals": {TK: ["a"]}, "Null": {TK: "false"}}))])

# ---------------------------------------------------------------- policy variables
ev("var-username-in-resource", VARS, "Allowed", action="s3:GetObject", resource="arn:aws:s3:::home/alice/notes.txt",
   identity=[pol(stmt(action="s3:GetObject", resource="arn:aws:s3:::home/${aws:username}/*"))])
ev("var-in-account-segment", VARS, "Allowed", principal=READER, action="iam:GetRole", resource=f"arn:aws:iam::{A}:role/Reader",
   note="Docs place variables in the resource part; we also substitute them in other segments (whole-string match).",
   identity=[pol(stmt(action="iam:GetRole", resource="arn:aws:iam::${aws:PrincipalAccount}:role/*"))])
ev("var-username-in-resource-other-user", VARS, "ImplicitDeny", action="s3:GetObject", resource="arn:aws:s3:::home/bob/notes.txt",
   identity=[pol(stmt(action="s3:GetObject", resource="arn:aws:s3:::home/${aws:username}/*"))])
ev("var-unresolved-in-resource-matches-nothing", VARS, "ImplicitDeny", principal=READER, action="s3:GetObject",
   resource="arn:aws:s3:::home/s1/x",
   note="aws:username is absent for role sessions; a Resource entry with an unresolvable variable matches nothing.",
   identity=[pol(stmt(action="s3:GetObject", resource="arn:aws:s3:::home/${aws:username}/*"))])
ev("var-in-condition", VARS, "Allowed", action="s3:ListBucket", resource="arn:aws:s3:::home",
   identity=[pol(stmt(action="s3:ListBucket", resource="arn:aws:s3:::home", cond={"StringLike": {"s3:prefix": "${aws:username}/*"}}))],
   context={"s3:prefix": "alice/docs"})
ev("var-in-condition-mismatch", VARS, "ImplicitDeny", action="s3:ListBucket", resource="arn:aws:s3:::home",
   identity=[pol(stmt(action="s3:ListBucket", resource="arn:aws:s3:::home", cond={"StringLike": {"s3:prefix": "${aws:username}/*"}}))],
   context={"s3:prefix": "bob/docs"})
ev("var-default-used-when-absent", VARS, "Allowed",
   identity=[pol(stmt(cond={"StringEquals": {"ctx:team": "${aws:PrincipalTag/team, 'company-wide'}"}}))],
   context={"ctx:team": "company-wide"})
ev("var-default-ignored-when-present", VARS, "ImplicitDeny", principal=dict(ALICE, tags={"team": "blue"}),
   identity=[pol(stmt(cond={"StringEquals": {"ctx:team": "${aws:PrincipalTag/team, 'company-wide'}"}}))],
   context={"ctx:team": "company-wide"})
ev("var-unresolved-positive-operator-false", VARS, "ImplicitDeny",
   identity=[pol(stmt(cond={"StringLike": {"ctx:x": "${aws:PrincipalTag/missing}"}}))], context={"ctx:x": "anything"})
ev("var-unresolved-negated-operator-true", VARS, "Allowed",
   identity=[pol(stmt(cond={"StringNotEquals": {"ctx:x": "${aws:PrincipalTag/missing}"}}))], context={"ctx:x": "anything"})
ev("var-escape-star", VARS, "Allowed",
   identity=[pol(stmt(cond={"StringLike": {"ctx:x": "a${*}b"}}))], context={"ctx:x": "a*b"})
ev("var-escape-star-is-literal", VARS, "ImplicitDeny",
   identity=[pol(stmt(cond={"StringLike": {"ctx:x": "a${*}b"}}))], context={"ctx:x": "axb"})
ev("var-escape-question", VARS, "Allowed",
   identity=[pol(stmt(cond={"StringLike": {"ctx:x": "a${?}"}}))], context={"ctx:x": "a?"})
ev("var-escape-question-is-literal", VARS, "ImplicitDeny",
   identity=[pol(stmt(cond={"StringLike": {"ctx:x": "a${?}"}}))], context={"ctx:x": "ab"})
ev("var-escape-dollar", VARS, "Allowed",
   identity=[pol(stmt(cond={"StringEquals": {"ctx:x": "${$}{x}"}}))], context={"ctx:x": "${x}"})
ev("var-key-case-insensitive", VARS, "Allowed",
   identity=[pol(stmt(cond={"StringEquals": {"ctx:x": "${AWS:UserName}"}}))], context={"ctx:x": "alice"})
ev("var-whitespace-inside-braces", "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html", "Allowed",
   principal=dict(ALICE, tags={"AccessProject": "p1"}),
   identity=[pol(stmt(cond={"StringEquals": {"secretsmanager:ResourceTag/AccessProject": "${ aws:PrincipalTag/AccessProject }"}}))],
   context={"secretsmanager:ResourceTag/AccessProject": "p1"})
ev("var-userid-against-resource-tag", VARS, "Allowed", principal=READER,
   identity=[pol(stmt(cond={"StringEquals": {"aws:ResourceTag/owner": "${aws:userid}"}}))],
   context={"aws:ResourceTag/owner": "AROAREADEREXAMPLE001:s1"})
ev("var-userid-against-resource-tag-other", VARS, "ImplicitDeny", principal=READER,
   identity=[pol(stmt(cond={"StringEquals": {"aws:ResourceTag/owner": "${aws:userid}"}}))],
   context={"aws:ResourceTag/owner": "AROAREADEREXAMPLE001:s2"})
ev("var-in-arn-condition", VARS, "Allowed",
   identity=[pol(stmt(cond={"ArnLike": {"ctx:arn": f"arn:aws:iam::{A}:user/${{aws:username}}"}}))],
   context={"ctx:arn": f"arn:aws:iam::{A}:user/alice"})
ev("var-multivalued-key-not-a-variable", VARS, "ImplicitDeny",
   identity=[pol(stmt(cond={"StringEquals": {"ctx:x": "${aws:TagKeys}"}}))], context={"ctx:x": "a", "aws:TagKeys": ["a"]})
ev("var-literal-under-2008-version", VERSION, "Allowed",
   note="Without Version 2012-10-17 policy variables are plain text.",
   resource_policy=pol(stmt(principal="*", cond={"StringEquals": {"ctx:x": "${aws:username}"}}), version="2008-10-17"),
   context={"ctx:x": "${aws:username}"})
ev("var-literal-no-version", VERSION, "ImplicitDeny",
   resource_policy=pol(stmt(principal="*", cond={"StringEquals": {"ctx:x": "${aws:username}"}}), version=None),
   context={"ctx:x": "alice"})
ev("var-resolved-under-2012-version", VARS, "Allowed",
   resource_policy=pol(stmt(principal="*", cond={"StringEquals": {"ctx:x": "${aws:username}"}})),
   context={"ctx:x": "alice"})
ev("var-source-identity", VARS, "Allowed",
   principal=dict(READER, session_facts={"source_identity": "alice"}),
   identity=[pol(stmt(resource="arn:aws:secretsmanager:*:*:secret:${aws:SourceIdentity}/*"))],
   resource=f"arn:aws:secretsmanager:us-east-1:{A}:secret:alice/x-AbCdEf")

# ---------------------------------------------------------------- actions
ev("action-case-insensitive", ACTION, "Allowed", action="SecretsManager:getsecretvalue",
   identity=[pol(stmt(action="secretsmanager:GetSecretValue"))])
ev("action-policy-case-insensitive", ACTION, "Allowed", identity=[pol(stmt(action="SECRETSMANAGER:GETSECRETVALUE"))])
ev("action-prefix-wildcard", ACTION, "Allowed", identity=[pol(stmt(action="secretsmanager:Get*"))])
ev("action-prefix-wildcard-miss", ACTION, "ImplicitDeny", action="secretsmanager:PutSecretValue", identity=[pol(stmt(action="secretsmanager:Get*"))])
ev("action-infix-wildcard", ACTION, "Allowed", action="iam:CreateAccessKey", resource="*", identity=[pol(stmt(action="iam:*AccessKey*"))])
ev("action-question-wildcard", ACTION, "Allowed", identity=[pol(stmt(action="secretsmanager:?etSecretValue"))])
ev("action-star-all", ACTION, "Allowed", identity=[pol(stmt(action="*"))])
ev("action-service-star", ACTION, "Allowed", identity=[pol(stmt(action="secretsmanager:*"))])
ev("action-other-service", ACTION, "ImplicitDeny", identity=[pol(stmt(action="s3:*"))])
ev("action-list", ACTION, "Allowed", identity=[pol(stmt(action=["s3:GetObject", "secretsmanager:GetSecretValue"]))])
ev("action-prefix-must-not-overmatch", ACTION, "ImplicitDeny", identity=[pol(stmt(action="secretsmanager:GetSecret"))])
ev("notaction-allow-grants-others", NOTACTION, "Allowed", identity=[pol(stmt(notaction="iam:*"))])
ev("notaction-allow-excludes-listed", NOTACTION, "ImplicitDeny", action="iam:CreateUser", resource=f"arn:aws:iam::{A}:user/x",
   identity=[pol(stmt(notaction="iam:*"))])
ev("notaction-deny-denies-unlisted", NOTACTION, "ExplicitDeny", action="secretsmanager:PutSecretValue",
   identity=[pol(stmt(action="*"), stmt("Deny", notaction="secretsmanager:Get*"))])
ev("notaction-deny-spares-listed", NOTACTION, "Allowed",
   identity=[pol(stmt(action="*"), stmt("Deny", notaction="secretsmanager:Get*"))])
ev("notaction-deny-mfa-pattern", MFA, "ExplicitDeny", action="s3:ListBuckets",
   note="AWS's 'deny everything except MFA self-service unless MFA' pattern; long-term keys have no aws:MultiFactorAuthPresent, BoolIfExists treats that as false.",
   identity=[pol(stmt(action="*"), stmt("Deny", notaction=["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "sts:GetSessionToken"],
                                       cond={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))])
ev("notaction-deny-mfa-pattern-with-mfa", MFA, "Allowed", action="s3:ListBuckets",
   principal=dict(ALICE, session_facts={"kind": "SessionToken", "mfa": True, "mfa_at": "2026-01-01T00:00:00Z"}),
   now="2026-01-01T00:05:00Z",
   identity=[pol(stmt(action="*"), stmt("Deny", notaction=["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "sts:GetSessionToken"],
                                       cond={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))])
ev("mfa-age-numeric", MFA, "ImplicitDeny", action="s3:ListBuckets",
   principal=dict(ALICE, session_facts={"kind": "SessionToken", "mfa": True, "mfa_at": "2026-01-01T00:00:00Z"}),
   now="2026-01-01T02:00:00Z",
   identity=[pol(stmt(action="*", cond={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}))])
ev("mfa-age-numeric-fresh", MFA, "Allowed", action="s3:ListBuckets",
   principal=dict(ALICE, session_facts={"kind": "SessionToken", "mfa": True, "mfa_at": "2026-01-01T00:00:00Z"}),
   now="2026-01-01T00:30:00Z",
   identity=[pol(stmt(action="*", cond={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}))])
ev("token-issue-time-revocation", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html", "ExplicitDeny",
   principal=dict(READER, session_facts={"issued_at": "2026-01-01T00:00:00Z"}),
   identity=[pol(stmt(action="*"), stmt("Deny", action="*", cond={"DateLessThan": {"aws:TokenIssueTime": "2026-01-02T00:00:00Z"}}))])
ev("token-issue-time-newer-session", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html", "Allowed",
   principal=dict(READER, session_facts={"issued_at": "2026-01-03T00:00:00Z"}),
   identity=[pol(stmt(action="*"), stmt("Deny", action="*", cond={"DateLessThan": {"aws:TokenIssueTime": "2026-01-02T00:00:00Z"}}))])

# ---------------------------------------------------------------- resources
ev("resource-exact", RESOURCE, "Allowed", identity=[pol(stmt(resource=SECRET))])
ev("resource-case-sensitive-id", RESOURCE, "ImplicitDeny", identity=[pol(stmt(resource=SECRET.replace("app/db", "app/DB")))])
ev("resource-star-spans-slash", RESOURCE, "Allowed", action="s3:GetObject", resource="arn:aws:s3:::bucket/1/2/test/3/x",
   identity=[pol(stmt(action="s3:GetObject", resource="arn:aws:s3:::bucket/*/test/*"))])
ev("resource-star-spans-slash-miss", RESOURCE, "ImplicitDeny", action="s3:GetObject", resource="arn:aws:s3:::bucket/1/2/tst/3/x",
   identity=[pol(stmt(action="s3:GetObject", resource="arn:aws:s3:::bucket/*/test/*"))])
ev("resource-question-suffix-six", "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html", "Allowed",
   identity=[pol(stmt(resource=f"arn:aws:secretsmanager:us-east-1:{A}:secret:app/db-??????"))])
ev("resource-question-suffix-wrong-length", "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html", "ImplicitDeny",
   resource=f"arn:aws:secretsmanager:us-east-1:{A}:secret:app/db-AbCdE",
   identity=[pol(stmt(resource=f"arn:aws:secretsmanager:us-east-1:{A}:secret:app/db-??????"))])
ev("resource-region-account-wildcards", RESOURCE, "Allowed", resource=f"arn:aws:secretsmanager:eu-west-1:{A}:secret:cml/x-AbCdEf",
   identity=[pol(stmt(resource="arn:aws:secretsmanager:*:*:secret:cml/*"))])
ev("resource-region-account-wildcards-other-prefix", RESOURCE, "ImplicitDeny",
   identity=[pol(stmt(resource="arn:aws:secretsmanager:*:*:secret:cml/*"))])
ev("resource-other-account", RESOURCE, "ImplicitDeny", identity=[pol(stmt(resource=SECRET.replace(A, B)))])
ev("resource-star", RESOURCE, "Allowed", identity=[pol(stmt(resource="*"))])
ev("resource-list", RESOURCE, "Allowed", identity=[pol(stmt(resource=["arn:aws:s3:::x", SECRET]))])
ev("resource-none-action-needs-star", RESOURCE, "ImplicitDeny", action="secretsmanager:ListSecrets", resource="*",
   note="Actions without a resource type are requested on '*'; only a Resource that matches '*' covers them.",
   identity=[pol(stmt(action="secretsmanager:ListSecrets", resource="arn:aws:secretsmanager:*:*:secret:*"))])
ev("resource-none-action-star", RESOURCE, "Allowed", action="secretsmanager:ListSecrets", resource="*",
   identity=[pol(stmt(action="secretsmanager:ListSecrets", resource="*"))])
ev("resource-service-segment-case", RESOURCE, "Allowed",
   note="Partition/service/region/account segments compare case-insensitively, the resource part case-sensitively (our choice, as iam-simulate; AWS docs only say resource ARNs are case-sensitive).",
   identity=[pol(stmt(resource=SECRET.replace("secretsmanager", "SecretsManager")))])
ev("resource-trailing-star-short-arn", RESOURCE, "Allowed", identity=[pol(stmt(resource="arn:aws:secretsmanager:*"))])
ev("notresource-allow-others", NOTRESOURCE, "Allowed", identity=[pol(stmt(notresource="arn:aws:secretsmanager:*:*:secret:prod/*"))])
ev("notresource-allow-excludes", NOTRESOURCE, "ImplicitDeny", identity=[pol(stmt(notresource="arn:aws:secretsmanager:*:*:secret:app/*"))])
ev("notresource-deny", NOTRESOURCE, "ExplicitDeny",
   identity=[pol(stmt(action="*"), stmt("Deny", notresource="arn:aws:secretsmanager:*:*:secret:public/*"))])
ev("notresource-deny-spares", NOTRESOURCE, "Allowed", resource=f"arn:aws:secretsmanager:us-east-1:{A}:secret:public/x-AbCdEf",
   identity=[pol(stmt(action="*"), stmt("Deny", notresource="arn:aws:secretsmanager:*:*:secret:public/*"))])
ev("resource-policy-without-resource-element", RESOURCE, "Allowed",
   resource_policy=pol(stmt(principal={"AWS": f"arn:aws:iam::{A}:user/alice"}, no_resource=True)))

# ---------------------------------------------------------------- principals in resource policies
RP = lambda principal, **k: pol(stmt(principal=principal, **k))
ev("principal-user-arn", PRINCIPAL, "Allowed", resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/alice"}))
ev("principal-other-user", PRINCIPAL, "ImplicitDeny", resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/bob"}))
ev("principal-user-name-case-sensitive", PRINCIPAL, "ImplicitDeny", resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/Alice"}))
ev("principal-user-unique-id", PRINCIPAL, "Allowed", resource_policy=RP({"AWS": "AIDAALICEEXAMPLE0001"}))
ev("principal-star", PRINCIPAL, "Allowed", resource_policy=RP("*"))
ev("principal-aws-star", PRINCIPAL, "Allowed", resource_policy=RP({"AWS": "*"}))
ev("principal-star-anonymous", PRINCIPAL, "Allowed", principal={"type": "Anonymous"}, resource_policy=RP("*"))
ev("principal-account-anonymous", PRINCIPAL, "ImplicitDeny", principal={"type": "Anonymous"}, resource_policy=RP({"AWS": A}))
ev("principal-account-id-needs-identity", PRINCIPAL, "ImplicitDeny", expect_denied_by="identity-based policy", resource_policy=RP({"AWS": A}))
ev("principal-account-root-needs-identity", PRINCIPAL, "ImplicitDeny", resource_policy=RP({"AWS": f"arn:aws:iam::{A}:root"}))
ev("principal-account-with-identity", PRINCIPAL, "Allowed", resource_policy=RP({"AWS": A}), identity=[pol(stmt())])
ev("principal-role-arn-matches-session", PRINCIPAL, "Allowed", principal=READER, resource_policy=RP({"AWS": f"arn:aws:iam::{A}:role/Reader"}))
ev("principal-role-arn-with-path", PRINCIPAL, "Allowed", principal=dict(READER, path="/ops/"), resource_policy=RP({"AWS": f"arn:aws:iam::{A}:role/ops/Reader"}))
ev("principal-role-arn-path-mismatch", PRINCIPAL, "ImplicitDeny", principal=dict(READER, path="/ops/"), resource_policy=RP({"AWS": f"arn:aws:iam::{A}:role/Reader"}))
ev("principal-role-unique-id", PRINCIPAL, "Allowed", principal=READER, resource_policy=RP({"AWS": "AROAREADEREXAMPLE001"}))
ev("principal-session-arn", PRINCIPAL, "Allowed", principal=READER, resource_policy=RP({"AWS": f"arn:aws:sts::{A}:assumed-role/Reader/s1"}))
ev("principal-other-session", PRINCIPAL, "ImplicitDeny", principal=READER, resource_policy=RP({"AWS": f"arn:aws:sts::{A}:assumed-role/Reader/s2"}))
ev("principal-federated-user-arn", PRINCIPAL, "Allowed", principal=FED, resource_policy=RP({"AWS": f"arn:aws:sts::{A}:federated-user/fed"}))
ev("principal-service", PRINCIPAL, "Allowed", principal={"type": "Service", "name": "ecs.amazonaws.com"},
   resource_policy=RP({"Service": "ecs.amazonaws.com"}))
ev("principal-service-other", PRINCIPAL, "ImplicitDeny", principal={"type": "Service", "name": "ecs.amazonaws.com"},
   resource_policy=RP({"Service": "lambda.amazonaws.com"}), expect_denied_by="resource-based policy")
ev("principal-service-list", PRINCIPAL, "Allowed", principal={"type": "Service", "name": "ecs.amazonaws.com"},
   resource_policy=RP({"Service": ["lambda.amazonaws.com", "ecs.amazonaws.com"]}))
ev("principal-user-does-not-match-service-entry", PRINCIPAL, "ImplicitDeny", resource_policy=RP({"Service": "ecs.amazonaws.com"}))
ev("principal-list-or", PRINCIPAL, "Allowed", resource_policy=RP({"AWS": [f"arn:aws:iam::{A}:user/bob", f"arn:aws:iam::{A}:user/alice"]}))
ev("notprincipal-deny-excludes-listed-with-account", NOTPRINCIPAL, "Allowed",
   resource_policy=pol(stmt(principal={"AWS": A}), stmt("Deny", notprincipal={"AWS": [f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:root"]})),
   identity=[pol(stmt())])
ev("notprincipal-deny-needs-account", NOTPRINCIPAL, "ExplicitDeny",
   note="NotPrincipal with Deny must list the account too; listing only the user leaves the account-level evaluation denied.",
   resource_policy=pol(stmt(principal={"AWS": A}), stmt("Deny", notprincipal={"AWS": [f"arn:aws:iam::{A}:user/alice"]})),
   identity=[pol(stmt())])
ev("notprincipal-deny-denies-others", NOTPRINCIPAL, "ExplicitDeny", principal=BOB,
   resource_policy=pol(stmt(principal={"AWS": A}), stmt("Deny", notprincipal={"AWS": [f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:root"]})),
   identity=[pol(stmt())])
ev("notprincipal-deny-with-boundary-always-denies", BOUNDARY, "ExplicitDeny",
   resource_policy=pol(stmt(principal={"AWS": A}), stmt("Deny", notprincipal={"AWS": [f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:root"]})),
   identity=[pol(stmt())], boundary=pol(stmt(action="*")))
ev("notprincipal-role-session", NOTPRINCIPAL, "Allowed", principal=READER,
   resource_policy=pol(stmt(principal={"AWS": A}), stmt("Deny", notprincipal={"AWS": [f"arn:aws:sts::{A}:assumed-role/Reader/s1", f"arn:aws:iam::{A}:role/Reader", f"arn:aws:iam::{A}:root"]})),
   identity=[pol(stmt())])
ev("principal-arn-condition-instead-of-notprincipal", BOUNDARY, "Allowed",
   resource_policy=pol(stmt(principal={"AWS": A}), stmt("Deny", principal="*", cond={"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:user/alice"}})),
   identity=[pol(stmt())], boundary=pol(stmt(action="*")))

# ---------------------------------------------------------------- §1.4 same-account table
T14 = EVAL
ev("same-user-named-no-identity", T14, "Allowed", resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/alice"}))
ev("same-user-named-boundary-implicit", T14, "Allowed", resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/alice"}),
   boundary=pol(stmt(action="s3:*")))
ev("same-user-account-boundary-implicit", T14, "ImplicitDeny", expect_denied_by="permissions boundary",
   resource_policy=RP({"AWS": A}), identity=[pol(stmt())], boundary=pol(stmt(action="s3:*")))
ev("same-user-no-rp-identity-allows", T14, "Allowed", identity=[pol(stmt())])
ev("same-user-nothing", T14, "ImplicitDeny", expect_denied_by="identity-based policy")
ev("same-role-named-no-identity", T14, "Allowed", principal=READER, resource_policy=RP({"AWS": f"arn:aws:iam::{A}:role/Reader"}))
ev("same-role-named-boundary-implicit", T14, "ImplicitDeny", principal=READER, expect_denied_by="permissions boundary",
   resource_policy=RP({"AWS": f"arn:aws:iam::{A}:role/Reader"}), boundary=pol(stmt(action="s3:*")))
ev("same-role-named-session-policy-implicit", SESSION, "ImplicitDeny", principal=READER, expect_denied_by="session policy",
   resource_policy=RP({"AWS": f"arn:aws:iam::{A}:role/Reader"}), session=[pol(stmt(action="s3:*"))])
ev("same-role-named-session-policy-allows", SESSION, "Allowed", principal=READER,
   resource_policy=RP({"AWS": f"arn:aws:iam::{A}:role/Reader"}), session=[pol(stmt())])
ev("same-session-named-boundary-implicit", T14, "Allowed", principal=READER,
   resource_policy=RP({"AWS": f"arn:aws:sts::{A}:assumed-role/Reader/s1"}), boundary=pol(stmt(action="s3:*")))
ev("same-session-named-session-policy-implicit", SESSION, "Allowed", principal=READER,
   note="Open question §9.1: AWS docs say a grant to the session ARN is not limited by the session policy; iam-simulate disagrees. We follow the AWS documentation.",
   resource_policy=RP({"AWS": f"arn:aws:sts::{A}:assumed-role/Reader/s1"}), session=[pol(stmt(action="s3:*"))])
ev("same-federated-named-no-session-policy", SESSION, "Allowed", principal=FED,
   resource_policy=RP({"AWS": f"arn:aws:sts::{A}:federated-user/fed"}))
ev("same-federated-source-user-named-no-session-policy", SESSION, "ImplicitDeny", principal=dict(FED, source_user=f"arn:aws:iam::{A}:user/alice"),
   expect_denied_by="session policy",
   note="A grant naming the IAM user behind a federated-user session is still limited by the session policy (principal-type table, reference §1.4).",
   resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/alice"}))
ev("same-federated-source-user-named-session-policy-allows", SESSION, "Allowed", principal=dict(FED, source_user=f"arn:aws:iam::{A}:user/alice"),
   resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/alice"}), session=[pol(stmt())])
ev("same-star-boundary-implicit", T14, "Allowed", resource_policy=RP("*"), boundary=pol(stmt(action="s3:*")))
ev("same-star-principalarn-condition", T14, "Allowed", principal=READER, boundary=pol(stmt(action="s3:*")),
   resource_policy=RP("*", cond={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/Reader"}}))
ev("same-star-principalarn-condition-other", T14, "ImplicitDeny", principal=dict(READER, role="Writer"),
   resource_policy=RP("*", cond={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/Reader"}}))
ev("same-boundary-explicit-deny-beats-rp", DENYALLOW, "ExplicitDeny", expect_denied_by="permissions boundary",
   resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/alice"}), boundary=pol(stmt(action="*"), stmt("Deny")))
ev("same-rp-explicit-deny-beats-identity", DENYALLOW, "ExplicitDeny", expect_denied_by="resource-based policy",
   identity=[pol(stmt())], resource_policy=pol(stmt("Deny", principal="*")))
ev("same-identity-deny-beats-rp-allow", DENYALLOW, "ExplicitDeny", expect_denied_by="identity-based policy",
   identity=[pol(stmt("Deny"))], resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/alice"}))
ev("same-session-policy-deny", DENYALLOW, "ExplicitDeny", principal=READER, expect_denied_by="session policy",
   identity=[pol(stmt())], session=[pol(stmt(action="*"), stmt("Deny"))])
ev("same-boundary-and-identity-allow", BOUNDARY, "Allowed", identity=[pol(stmt())], boundary=pol(stmt(action="secretsmanager:*")))
ev("same-boundary-alone-grants-nothing", BOUNDARY, "ImplicitDeny", expect_denied_by="identity-based policy", boundary=pol(stmt(action="*")))
ev("same-role-identity-allows", EVAL, "Allowed", principal=READER, identity=[pol(stmt())])
ev("same-role-identity-and-session-policy", SESSION, "Allowed", principal=READER, identity=[pol(stmt())], session=[pol(stmt(action="secretsmanager:Get*"))])
ev("same-role-session-policy-narrows", SESSION, "ImplicitDeny", principal=READER, expect_denied_by="session policy",
   identity=[pol(stmt(action="*"))], session=[pol(stmt(action="s3:*"))])
ev("same-role-session-policy-does-not-grant", SESSION, "ImplicitDeny", principal=READER, expect_denied_by="identity-based policy",
   session=[pol(stmt(action="*"))])
ev("same-role-multiple-session-policies-union", SESSION, "Allowed", principal=READER, identity=[pol(stmt(action="*"))],
   session=[pol(stmt(action="s3:*")), pol(stmt(action="secretsmanager:*"))])
ev("federation-token-no-session-policy", FEDTOKEN, "ImplicitDeny", principal=FED, expect_denied_by="session policy",
   identity=[pol(stmt(action="*"))])
ev("federation-token-session-policy", FEDTOKEN, "Allowed", principal=FED, identity=[pol(stmt(action="*"))], session=[pol(stmt())])
ev("federation-token-session-policy-other-action", FEDTOKEN, "ImplicitDeny", principal=FED, action="secretsmanager:DeleteSecret",
   identity=[pol(stmt(action="*"))], session=[pol(stmt())])
ev("session-token-credentials-act-as-user", EVAL, "Allowed",
   principal=dict(ALICE, session_facts={"kind": "SessionToken"}), identity=[pol(stmt())])
ev("groups-union-of-identity-policies", EVAL, "Allowed", identity=[pol(stmt(action="s3:*")), pol(stmt())])
ev("identity-deny-in-one-policy", DENYALLOW, "ExplicitDeny", identity=[pol(stmt(action="*")), pol(stmt("Deny"))],
   expect_matched_sids=[""])
ev("matched-statements-allow", EVAL, "Allowed",
   identity=[pol(stmt(sid="A1"), stmt(sid="A2", action="secretsmanager:*"), stmt(sid="Other", action="s3:*"))],
   expect_matched_sids=["A1", "A2"])
ev("matched-statements-deny-only", DENYALLOW, "ExplicitDeny",
   identity=[pol(stmt(sid="Allow1"), stmt("Deny", sid="Deny1"))], expect_matched_sids=["Deny1"])

# ---------------------------------------------------------------- root
ev("root-own-account-default-allow", EVAL, "Allowed", principal=ROOT)
ev("root-rp-deny", EVAL, "ExplicitDeny", principal=ROOT, resource_policy=pol(stmt("Deny", principal="*")))
ev("root-scp-deny", SCP, "ExplicitDeny", principal=ROOT,
   scp=[[pol(stmt(action="*"), version="2012-10-17")], [pol(stmt("Deny", action="secretsmanager:*"))]])
ev("root-scp-no-allow", SCP, "ImplicitDeny", principal=ROOT, scp=[[pol(stmt(action="s3:*"))]], expect_denied_by="service control policy")
ev("root-trust-policy-must-allow", ASSUME, "ImplicitDeny", principal=ROOT, action="sts:AssumeRole", resource=f"arn:aws:iam::{A}:role/R",
   resource_kind="RoleTrust", resource_policy=pol(stmt(action="sts:AssumeRole", principal={"AWS": B}, no_resource=True)),
   expect_denied_by="role trust policy")
ev("root-kms-key-policy-default", KMS, "Allowed", principal=ROOT, action="kms:Decrypt", resource=f"arn:aws:kms:us-east-1:{A}:key/k1",
   resource_kind="KmsKey", resource_policy=pol(stmt(action="kms:*", principal={"AWS": f"arn:aws:iam::{A}:root"}, resource="*")))
ev("root-kms-key-policy-without-root", KMS, "ImplicitDeny", principal=ROOT, action="kms:Decrypt", resource=f"arn:aws:kms:us-east-1:{A}:key/k1",
   resource_kind="KmsKey", resource_policy=pol(stmt(action="kms:*", principal={"AWS": f"arn:aws:iam::{A}:role/Admin"}, resource="*")),
   expect_denied_by="resource-based policy")
ev("root-cross-account-needs-rp", CROSS, "ImplicitDeny", principal=ROOT, resource=SECRET_B, resource_account=B, expect_denied_by="resource-based policy")
ev("root-cross-account-rp-grants-account", CROSS, "Allowed", principal=ROOT, resource=SECRET_B, resource_account=B,
   resource_policy=RP({"AWS": A}))

# ---------------------------------------------------------------- trust policies
TRUST = lambda principal, cond=None, action="sts:AssumeRole": pol(stmt(action=action, principal=principal, no_resource=True, cond=cond))
ROLE_ARN = f"arn:aws:iam::{A}:role/Target"
tr = dict(action="sts:AssumeRole", resource=ROLE_ARN, resource_kind="RoleTrust")
ev("trust-names-user-no-identity", ASSUME, "Allowed", resource_policy=TRUST({"AWS": f"arn:aws:iam::{A}:user/alice"}), **tr)
ev("trust-names-account-no-identity", ASSUME, "ImplicitDeny", expect_denied_by="identity-based policy",
   resource_policy=TRUST({"AWS": A}), **tr)
ev("trust-names-account-identity-allows", ASSUME, "Allowed", resource_policy=TRUST({"AWS": A}),
   identity=[pol(stmt(action="sts:AssumeRole", resource=ROLE_ARN))], **tr)
ev("trust-does-not-name-caller", ASSUME, "ImplicitDeny", expect_denied_by="role trust policy",
   resource_policy=TRUST({"AWS": f"arn:aws:iam::{A}:user/bob"}), identity=[pol(stmt(action="sts:AssumeRole", resource=ROLE_ARN))], **tr)
ev("trust-message-has-no-reason-clause", "https://github.com/aws/karpenter-provider-aws/issues/4680", "ImplicitDeny",
   note="Recorded AssumeRole denials carry no 'because ...' clause (§9.2 open; we follow the recordings).",
   resource_policy=TRUST({"AWS": f"arn:aws:iam::{A}:user/bob"}),
   expect_message=f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN}", **tr)
ev("trust-no-policy-identity-alone", ASSUME, "ImplicitDeny", expect_denied_by="role trust policy",
   identity=[pol(stmt(action="sts:AssumeRole", resource="*"))], **tr)
ev("trust-cross-account-both-allow", CROSS, "Allowed", principal=USER_B, resource_account=A,
   resource_policy=TRUST({"AWS": B}), identity=[pol(stmt(action="sts:AssumeRole", resource=ROLE_ARN))], **tr)
ev("trust-cross-account-no-identity", CROSS, "ImplicitDeny", principal=USER_B, resource_account=A, expect_denied_by="identity-based policy",
   resource_policy=TRUST({"AWS": f"arn:aws:iam::{B}:user/carol"}), **tr)
ev("trust-external-id-match", ASSUME, "Allowed", principal=USER_B, resource_account=A,
   resource_policy=TRUST({"AWS": B}, cond={"StringEquals": {"sts:ExternalId": "x-123"}}),
   identity=[pol(stmt(action="sts:AssumeRole", resource="*"))], context={"sts:ExternalId": "x-123"}, **tr)
ev("trust-external-id-mismatch", ASSUME, "ImplicitDeny", principal=USER_B, resource_account=A,
   resource_policy=TRUST({"AWS": B}, cond={"StringEquals": {"sts:ExternalId": "x-123"}}),
   identity=[pol(stmt(action="sts:AssumeRole", resource="*"))], context={"sts:ExternalId": "x-999"}, **tr)
ev("trust-external-id-missing", ASSUME, "ImplicitDeny", principal=USER_B, resource_account=A,
   resource_policy=TRUST({"AWS": B}, cond={"StringEquals": {"sts:ExternalId": "x-123"}}),
   identity=[pol(stmt(action="sts:AssumeRole", resource="*"))], **tr)
ev("trust-mfa-required-with-mfa", MFA, "Allowed",
   principal=dict(ALICE, session_facts={"kind": "SessionToken", "mfa": True, "mfa_at": "2026-01-01T00:00:00Z"}),
   resource_policy=TRUST({"AWS": A}, cond={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
   identity=[pol(stmt(action="sts:AssumeRole", resource="*"))], **tr)
ev("trust-mfa-required-long-term-keys", MFA, "ImplicitDeny",
   resource_policy=TRUST({"AWS": A}, cond={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
   identity=[pol(stmt(action="sts:AssumeRole", resource="*"))], **tr)
ev("trust-service-principal", ASSUME, "Allowed", principal={"type": "Service", "name": "ecs-tasks.amazonaws.com"},
   resource_policy=TRUST({"Service": "ecs-tasks.amazonaws.com"}), **tr)
ev("trust-web-identity", "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html", "Allowed",
   principal={"type": "IdentityProvider", "name": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"},
   resource_policy=TRUST({"Federated": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"},
                         cond={"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/*"}}, action="sts:AssumeRoleWithWebIdentity"),
   context={"token.actions.githubusercontent.com:sub": "repo:org/app:ref:refs/heads/main"},
   action="sts:AssumeRoleWithWebIdentity", resource=ROLE_ARN, resource_kind="RoleTrust")
ev("trust-web-identity-wrong-sub", "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html", "ImplicitDeny",
   principal={"type": "IdentityProvider", "name": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"},
   resource_policy=TRUST({"Federated": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"},
                         cond={"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/*"}}, action="sts:AssumeRoleWithWebIdentity"),
   context={"token.actions.githubusercontent.com:sub": "repo:evil/app:ref:refs/heads/main"},
   action="sts:AssumeRoleWithWebIdentity", resource=ROLE_ARN, resource_kind="RoleTrust")
ev("trust-role-chaining-session-named-by-role", ASSUME, "Allowed", principal=READER,
   resource_policy=TRUST({"AWS": f"arn:aws:iam::{A}:role/Reader"}), **tr)
ev("trust-explicit-deny", ASSUME, "ExplicitDeny", expect_denied_by="role trust policy",
   resource_policy=pol(stmt(action="sts:AssumeRole", principal={"AWS": A}, no_resource=True),
                       stmt("Deny", action="sts:AssumeRole", principal={"AWS": f"arn:aws:iam::{A}:user/alice"}, no_resource=True)),
   identity=[pol(stmt(action="sts:AssumeRole", resource="*"))], **tr)

# ---------------------------------------------------------------- KMS
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
km = dict(action="kms:Decrypt", resource=KEY, resource_kind="KmsKey")
DEFAULT_KEY_POLICY = pol(stmt(sid="EnableIAMUserPermissions", action="kms:*", principal={"AWS": f"arn:aws:iam::{A}:root"}))
ev("kms-default-policy-enables-iam", KMS, "Allowed", resource_policy=DEFAULT_KEY_POLICY, identity=[pol(stmt(action="kms:Decrypt"))], **km)
ev("kms-default-policy-no-identity", KMS, "ImplicitDeny", expect_denied_by="identity-based policy", resource_policy=DEFAULT_KEY_POLICY, **km)
ev("kms-key-policy-without-account-grant", KMS, "ImplicitDeny", expect_denied_by="resource-based policy",
   resource_policy=pol(stmt(action="kms:*", principal={"AWS": f"arn:aws:iam::{A}:role/KeyAdmin"})),
   identity=[pol(stmt(action="kms:*"))], **km)
ev("kms-no-key-policy", KMS, "ImplicitDeny", identity=[pol(stmt(action="kms:*"))], expect_denied_by="resource-based policy", **km)
ev("kms-key-policy-names-user", KMS, "Allowed",
   resource_policy=pol(stmt(action="kms:Decrypt", principal={"AWS": f"arn:aws:iam::{A}:user/alice"})), **km)
ev("kms-cross-account", "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html", "Allowed",
   principal=USER_B, resource_account=A, resource_policy=pol(stmt(action="kms:Decrypt", principal={"AWS": f"arn:aws:iam::{B}:root"})),
   identity=[pol(stmt(action="kms:Decrypt", resource=KEY))], **km)
ev("kms-via-service-condition", "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html", "Allowed",
   resource_policy=pol(stmt(action="kms:Decrypt", principal={"AWS": "*"},
                            cond={"StringEquals": {"kms:CallerAccount": A, "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}})),
   context={"kms:CallerAccount": A, "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}, **km)
ev("kms-via-service-condition-direct-call", "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html", "ImplicitDeny",
   resource_policy=pol(stmt(action="kms:Decrypt", principal={"AWS": "*"},
                            cond={"StringEquals": {"kms:CallerAccount": A, "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}})),
   context={"kms:CallerAccount": A}, **km)

# ---------------------------------------------------------------- cross-account
ROLE_B_ARN = f"arn:aws:iam::{B}:role/Reader"
SEED0 = pol(stmt(sid="AllowReader", principal={"AWS": f"arn:aws:iam::{B}:role/Reader"}),
            stmt("Deny", sid="DenyOthers", principal="*", cond={"StringNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{B}:role/Reader"}}))
ev("cross-reader-identity-and-rp", CROSS, "Allowed", principal=READER_B, resource_account=A, resource_policy=SEED0, identity=[pol(stmt())],
   expect_matched_sids=["AllowReader", ""])
ev("cross-reader-no-identity", CROSS, "ImplicitDeny", principal=READER_B, resource_account=A, resource_policy=SEED0,
   expect_denied_by="identity-based policy",
   expect_message=f"User: arn:aws:sts::{B}:assumed-role/Reader/s1 is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} because no identity-based policy allows the secretsmanager:GetSecretValue action")
ev("cross-other-role-explicit-deny", CROSS, "ExplicitDeny", principal=OTHER_B, resource_account=A, resource_policy=SEED0, identity=[pol(stmt())],
   expect_message=f"User: arn:aws:sts::{B}:assumed-role/Other/s1 is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} with an explicit deny in a resource-based policy",
   expect_matched_sids=["DenyOthers"])
ev("cross-missing-principalarn-denied", CONDITION, "ExplicitDeny", principal=READER_B, resource_account=A, resource_policy=SEED0,
   identity=[pol(stmt())], no_principal_context=True,
   note="StringNotEquals is true when the key is absent, so a request without aws:PrincipalArn is denied.")
ev("cross-rp-grants-account-root", CROSS, "Allowed", principal=OTHER_B, resource_account=A,
   resource_policy=RP({"AWS": f"arn:aws:iam::{B}:root"}), identity=[pol(stmt())])
ev("cross-no-rp", CROSS, "ImplicitDeny", principal=READER_B, resource_account=A, identity=[pol(stmt())], expect_denied_by="resource-based policy",
   expect_message=f"User: arn:aws:sts::{B}:assumed-role/Reader/s1 is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} because no resource-based policy allows the secretsmanager:GetSecretValue action")
ev("cross-rp-names-other-account", CROSS, "ImplicitDeny", principal=READER_B, resource_account=A, identity=[pol(stmt())],
   resource_policy=RP({"AWS": "999988887777"}))
ev("cross-user-named-no-identity", CROSS, "ImplicitDeny", principal=USER_B, resource_account=A,
   resource_policy=RP({"AWS": f"arn:aws:iam::{B}:user/carol"}), expect_denied_by="identity-based policy")
ev("cross-boundary-blocks-session-grant", CROSS, "ImplicitDeny", principal=READER_B, resource_account=A, expect_denied_by="permissions boundary",
   resource_policy=RP({"AWS": f"arn:aws:sts::{B}:assumed-role/Reader/s1"}), identity=[pol(stmt())], boundary=pol(stmt(action="s3:*")))
ev("cross-session-policy-blocks", CROSS, "ImplicitDeny", principal=READER_B, resource_account=A, expect_denied_by="session policy",
   resource_policy=RP({"AWS": ROLE_B_ARN}), identity=[pol(stmt())], session=[pol(stmt(action="s3:*"))])
ev("cross-star-grant-needs-identity", CROSS, "ImplicitDeny", principal=READER_B, resource_account=A, resource_policy=RP("*"))
ev("cross-star-grant-with-identity", CROSS, "Allowed", principal=READER_B, resource_account=A, resource_policy=RP("*"), identity=[pol(stmt())])
ev("cross-scp-without-allow", SCP, "ImplicitDeny", principal=READER_B, resource_account=A, resource_policy=SEED0, identity=[pol(stmt())],
   scp=[[pol(stmt(action="s3:*"))]],
   expect_message=f"User: arn:aws:sts::{B}:assumed-role/Reader/s1 is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} with an explicit deny in a service control policy")
ev("cross-principal-org-id", KEYS, "Allowed", principal=READER_B, resource_account=A, identity=[pol(stmt())],
   resource_policy=RP("*", cond={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}), context={"aws:PrincipalOrgID": "o-abc123"})
ev("cross-principal-org-id-outsider", KEYS, "ImplicitDeny", principal=READER_B, resource_account=A, identity=[pol(stmt())],
   resource_policy=RP("*", cond={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))
ev("cross-resource-account-condition", KEYS, "ExplicitDeny", principal=READER_B, resource_account=A, resource_policy=RP("*"),
   identity=[pol(stmt(action="*"), stmt("Deny", cond={"StringNotEquals": {"aws:ResourceAccount": B}}))], context={"aws:ResourceAccount": A})

# ---------------------------------------------------------------- SCPs
FULL = pol(stmt(action="*", sid="FullAWSAccess"))
ev("scp-full-access-every-level", SCP, "Allowed", identity=[pol(stmt())], scp=[[FULL], [FULL], [FULL]])
ev("scp-ou-level-missing-allow", SCP, "ImplicitDeny", identity=[pol(stmt())], scp=[[FULL], [pol(stmt(action="s3:*"))], [FULL]],
   expect_denied_by="service control policy")
ev("scp-allow-at-level-via-second-policy", SCP, "Allowed", identity=[pol(stmt())], scp=[[FULL], [pol(stmt(action="s3:*")), pol(stmt(action="secretsmanager:*"))]])
ev("scp-account-level-deny", SCP, "ExplicitDeny", identity=[pol(stmt())], scp=[[FULL], [FULL, pol(stmt("Deny", action="secretsmanager:GetSecretValue"))]],
   expect_denied_by="service control policy")
ev("scp-does-not-grant", SCP, "ImplicitDeny", scp=[[FULL]], expect_denied_by="identity-based policy")
ev("scp-region-deny", SCP, "ExplicitDeny", identity=[pol(stmt())],
   scp=[[FULL, pol(stmt("Deny", action="*", cond={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}))]], context={"aws:RequestedRegion": "us-east-1"})
ev("scp-region-deny-allowed-region", SCP, "Allowed", identity=[pol(stmt())],
   scp=[[FULL, pol(stmt("Deny", action="*", cond={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}))]], context={"aws:RequestedRegion": "eu-west-1"})
ev("scp-notaction-deny", SCP, "ExplicitDeny", identity=[pol(stmt(action="*"))], action="ec2:RunInstances", resource="*",
   scp=[[FULL, pol(stmt("Deny", notaction=["iam:*", "sts:*", "secretsmanager:*"]))]])
ev("scp-applies-to-resource-policy-grants", SCP, "ImplicitDeny", resource_policy=RP({"AWS": f"arn:aws:iam::{A}:user/alice"}),
   scp=[[pol(stmt(action="s3:*"))]], expect_denied_by="service control policy")
ev("scp-empty-levels-not-applied", SCP, "Allowed", identity=[pol(stmt())], scp=[])

# ---------------------------------------------------------------- RCPs
RCPFULL = pol(stmt(action="*", principal="*", sid="RCPFullAWSAccess"))
RCP_ORG = pol(stmt("Deny", action="secretsmanager:*", principal="*", sid="EnforceOrg",
                   cond={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}))
ev("rcp-full-access", RCP, "Allowed", identity=[pol(stmt())], rcp=[[RCPFULL]])
ev("rcp-deny-outsider", RCP, "ExplicitDeny", principal=READER_B, resource_account=A, identity=[pol(stmt())], resource_policy=RP("*"),
   rcp=[[RCPFULL], [RCPFULL, RCP_ORG]], expect_denied_by="resource control policy",
   expect_message=f"User: arn:aws:sts::{B}:assumed-role/Reader/s1 is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} with an explicit deny in a resource control policy")
ev("rcp-insider-allowed", RCP, "Allowed", principal=READER_B, resource_account=A, identity=[pol(stmt())], resource_policy=RP("*"),
   rcp=[[RCPFULL], [RCPFULL, RCP_ORG]], context={"aws:PrincipalOrgID": "o-abc123"})
ev("rcp-level-without-allow", RCP, "ImplicitDeny", identity=[pol(stmt())], rcp=[[RCPFULL], [pol(stmt(action="s3:*", principal="*"))]],
   expect_denied_by="resource control policy")
ev("rcp-does-not-grant", RCP, "ImplicitDeny", rcp=[[RCPFULL]], expect_denied_by="identity-based policy")
ev("rcp-applies-to-root", RCP, "ExplicitDeny", principal=ROOT, rcp=[[RCPFULL, pol(stmt("Deny", action="secretsmanager:GetSecretValue", principal="*"))]])

# ---------------------------------------------------------------- messages
ev("message-implicit-identity", DENIED, "ImplicitDeny",
   expect_message=f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} because no identity-based policy allows the secretsmanager:GetSecretValue action")
ev("message-explicit-identity", DENIED, "ExplicitDeny", identity=[pol(stmt("Deny"))],
   expect_message=f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} with an explicit deny in an identity-based policy")
ev("message-boundary", DENIED, "ImplicitDeny", identity=[pol(stmt())], boundary=pol(stmt(action="s3:*")),
   expect_message=f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} because no permissions boundary allows the secretsmanager:GetSecretValue action")
ev("message-session", DENIED, "ImplicitDeny", principal=READER, identity=[pol(stmt())], session=[pol(stmt(action="s3:*"))],
   expect_message=f"User: arn:aws:sts::{A}:assumed-role/Reader/s1 is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} because no session policy allows the secretsmanager:GetSecretValue action")
ev("message-explicit-boundary", DENIED, "ExplicitDeny", identity=[pol(stmt())], boundary=pol(stmt(action="*"), stmt("Deny")),
   expect_message=f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} with an explicit deny in a permissions boundary")
ev("message-no-resource", DENIED, "ImplicitDeny", action="secretsmanager:ListSecrets", resource="*", message_shows_resource=False,
   expect_message=f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action")
ev("message-scp-explicit", DENIED, "ExplicitDeny", identity=[pol(stmt())], scp=[[FULL, pol(stmt("Deny"))]],
   expect_message=f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET} with an explicit deny in a service control policy")

# ---------------------------------------------------------------- parsing / validation
def pc(name, source, kind, document, error=None, note=None, size=None):
    c = {"source": source, "policy_kind": kind, "document": document}
    if error is not None:
        c["expect_error"] = error
    if note:
        c["note"] = note
    if size is not None:
        c["expect_size"] = size
    add("parse-" + name, c)

OK = pol(stmt())
pc("valid-identity", GRAMMAR, "Identity", OK)
pc("invalid-json", LOCALSTACK_IAM, "Identity", '{"Version":"2012-10-17","Statement":[', "This policy contains invalid Json")
pc("trailing-garbage", LOCALSTACK_IAM, "Identity", json.dumps(OK) + " x", "This policy contains invalid Json")
pc("duplicate-member", GRAMMAR, "Identity", '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}}',
   "This policy contains invalid Json", note="Duplicate keys are invalid per the grammar; we report them as invalid JSON.")
pc("top-level-array", GRAMMAR, "Identity", "[]", "Syntax errors in policy.")
pc("missing-statement", GRAMMAR, "Identity", {"Version": "2012-10-17"}, "Syntax errors in policy.")
pc("unknown-top-level-key", GRAMMAR, "Identity", {"Version": "2012-10-17", "Statement": [stmt()], "Foo": 1}, "Syntax errors in policy.")
pc("empty-statement-list", GRAMMAR, "Identity", {"Version": "2012-10-17", "Statement": []}, "Syntax errors in policy.")
pc("statement-object", GRAMMAR, "Identity", {"Version": "2012-10-17", "Statement": stmt()})
pc("identity-missing-version", METEOR, "Identity", pol(stmt(), version=None), "Policy document must be version 2012-10-17 or greater.")
pc("identity-old-version", VERSION, "Identity", pol(stmt(), version="2008-10-17"), "Policy document must be version 2012-10-17 or greater.")
pc("boundary-old-version", VERSION, "PermissionsBoundary", pol(stmt(), version="2008-10-17"), "Policy document must be version 2012-10-17 or greater.")
pc("trust-old-version-accepted", VERSION, "RoleTrust", pol(stmt(action="sts:AssumeRole", principal={"Service": "ec2.amazonaws.com"}, no_resource=True), version="2008-10-17"))
pc("trust-bogus-version", VERSION, "RoleTrust", pol(stmt(action="sts:AssumeRole", principal={"Service": "ec2.amazonaws.com"}, no_resource=True), version="2019-10-19"),
   "Policy document must be version 2012-10-17 or greater.")
pc("resource-no-version-accepted", VERSION, "Resource", pol(stmt(principal="*"), version=None))
pc("version-after-statement-accepted", IAMY65, "Identity", '{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"},"Version":"2012-10-17"}',
   note="Open (§9.5): AWS once failed this with 'The policy failed legacy parsing' (iamy#65, 2019); later reports say it no longer does. We accept.")
pc("identity-with-principal", GRAMMAR, "Identity", pol(stmt(principal="*")), "Policy document should not specify a principal.")
pc("identity-with-notprincipal", GRAMMAR, "Identity", pol(stmt(notprincipal={"AWS": A})), "Policy document should not specify a principal.")
pc("session-with-principal", SESSION, "Session", pol(stmt(principal="*")), "Policy document should not specify a principal.")
pc("scp-with-principal", SCP, "ServiceControl", pol(stmt(principal="*")), "Policy document should not specify a principal.")
pc("trust-missing-principal", GRAMMAR, "RoleTrust", pol(stmt(action="sts:AssumeRole", no_resource=True)), "Missing required field Principal")
pc("resource-missing-principal", GRAMMAR, "Resource", pol(stmt()), "Missing required field Principal")
pc("trust-with-resource", GRAMMAR, "RoleTrust", pol(stmt(action="sts:AssumeRole", principal={"AWS": A})), "Has prohibited field Resource")
pc("trust-with-notprincipal", NOTPRINCIPAL, "RoleTrust", pol(stmt(action="sts:AssumeRole", notprincipal={"AWS": A}, no_resource=True)), "Has prohibited field NotPrincipal")
pc("sid-with-dash", SID, "Identity", pol(stmt(sid="my-sid")),
   "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
pc("sid-duplicate", SID, "Identity", pol(stmt(sid="A"), stmt(sid="A", action="s3:*")), "Statement IDs (SID) in a single policy must be unique.")
pc("sid-empty-duplicates-ok", SID, "Identity", pol(stmt(sid=""), stmt(sid="", action="s3:*")))
pc("sid-with-space-resource-policy-ok", SID, "Resource", pol(stmt(principal="*", sid="Allow read")),
   note="Sid charset restriction applies to IAM policies; other services' resource policies allow more characters (Sid docs).")
pc("effect-lowercase", GRAMMAR, "Identity", pol({"Effect": "allow", "Action": "s3:*", "Resource": "*"}), "The policy failed legacy parsing")
pc("effect-missing", GRAMMAR, "Identity", pol({"Action": "s3:*", "Resource": "*"}), "Syntax errors in policy.")
pc("action-missing", GRAMMAR, "Identity", pol({"Effect": "Allow", "Resource": "*"}), "Policy statement must contain actions.")
pc("action-and-notaction", GRAMMAR, "Identity", pol({"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}), "Syntax errors in policy.")
pc("action-without-vendor", ACTION, "Identity", pol(stmt(action="GetSecretValue")), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
pc("action-two-colons", ACTION, "Identity", pol(stmt(action="secretsmanager:Get:Value")), "Actions/Condition can contain only one colon.")
pc("action-unknown-accepted", ACTION, "Identity", pol(stmt(action="madeup:DoThing")),
   note="IAM accepts well-formed unknown actions.")
pc("action-not-string", GRAMMAR, "Identity", pol(stmt(action=5)), "Syntax errors in policy.")
pc("resource-missing", GRAMMAR, "Identity", pol({"Effect": "Allow", "Action": "s3:*"}), "Policy statement must contain resources.")
pc("resource-not-arn", RESOURCE, "Identity", pol(stmt(resource="bucket")), 'Resource bucket must be in ARN format or "*".')
pc("resource-bad-partition", RESOURCE, "Identity", pol(stmt(resource="arn:foo:s3:::bucket")), 'Partition "foo" is not valid for resource "arn:foo:s3:::bucket".')
pc("resource-vendor-wildcard", RESOURCE, "Identity", pol(stmt(resource="arn:aws:*:::bucket")), "Resource vendor must be fully qualified and cannot contain regexes.")
pc("resource-iam-region", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html", "Identity",
   pol(stmt(action="iam:GetUser", resource=f"arn:aws:iam:us-east-1:{A}:user/x")), f"IAM resource arn:aws:iam:us-east-1:{A}:user/x cannot contain region information.")
pc("resource-iam-bad-path", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html", "Identity",
   pol(stmt(action="iam:GetUser", resource=f"arn:aws:iam::{A}:people/x")),
   'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.')
pc("resource-error-before-action-error", GRAMMAR, "Identity", pol(stmt(action="nocolon", resource="bucket")), 'Resource bucket must be in ARN format or "*".',
   note="IAM reports resource-format errors before action-prefix errors (moto's reverse-engineered order, reference §2.8).")
pc("resource-and-notresource", GRAMMAR, "Identity", pol({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "*"}), "Syntax errors in policy.")
pc("unknown-statement-key", GRAMMAR, "Identity", pol({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Foo": "x"}), "Syntax errors in policy.")
pc("date-condition-invalid", OPS, "Identity", pol(stmt(cond={"DateGreaterThan": {"aws:CurrentTime": "yesterday"}})), "The policy failed legacy parsing")
pc("condition-key-without-vendor", CONDITION, "Identity", pol(stmt(cond={"StringEquals": {"SourceIp": "x"}})),
   "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
pc("condition-unknown-operator-empty-ok", CONDITION, "Identity", pol(stmt(cond={"MadeUpOperator": {}})),
   note="Reverse-engineered by moto: IAM tolerates an unknown operator only with an empty body.")
pc("condition-unknown-operator", CONDITION, "Identity", pol(stmt(cond={"MadeUpOperator": {"aws:x": "y"}})), "Syntax errors in policy.")
pc("condition-null-if-exists-invalid", OPS, "Identity", pol(stmt(cond={"NullIfExists": {"aws:x": "true"}})), "Syntax errors in policy.",
   note="...IfExists is available on every operator except Null.")
pc("condition-not-object", CONDITION, "Identity", pol(stmt(cond={"StringEquals": "x"})), "Syntax errors in policy.")
pc("condition-value-object", CONDITION, "Identity", pol(stmt(cond={"StringEquals": {"aws:x": {"a": 1}}})), "Syntax errors in policy.")
pc("principal-partial-wildcard", PRINCIPAL, "Resource", pol(stmt(principal={"AWS": f"arn:aws:iam::{A}:user/*"})),
   f'Invalid principal in policy: "AWS":"arn:aws:iam::{A}:user/*"')
pc("principal-bad-value", PRINCIPAL, "Resource", pol(stmt(principal={"AWS": "bob"})), 'Invalid principal in policy: "AWS":"bob"')
pc("principal-account-id", PRINCIPAL, "Resource", pol(stmt(principal={"AWS": A})))
pc("principal-all-forms", PRINCIPAL, "Resource", pol(stmt(principal={"AWS": [A, f"arn:aws:iam::{A}:root", f"arn:aws:iam::{A}:user/p/u", f"arn:aws:iam::{A}:role/r",
                                                                        f"arn:aws:sts::{A}:assumed-role/r/s", f"arn:aws:sts::{A}:federated-user/f", "AIDAALICEEXAMPLE0001"],
                                                                 "Service": "ecs.amazonaws.com", "Federated": "accounts.google.com", "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})))
pc("characters-outside-range", "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html", "Identity",
   '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::\u0101"}}',
   "The policy document contains characters outside TAB, LF, CR and U+0020-U+00FF.",
   note="The API model restricts PolicyDocument to [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+; IAM reports this as ValidationError (the server maps PolicyErrorKind::InvalidCharacters).")
pc("size-excludes-whitespace", QUOTAS, "Identity", '{ "Version" : "2012-10-17",\n  "Statement" : { "Effect" : "Allow", "Action" : "s3:*", "Resource" : "*" } }',
   size=len('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}'))
pc("scp-valid", SCP, "ServiceControl", pol(stmt("Deny", action="*", cond={"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}})))
pc("rcp-valid", RCP, "ResourceControl", RCP_ORG)
pc("rcp-missing-principal", RCP, "ResourceControl", pol(stmt("Deny")), "Missing required field Principal")
pc("notaction-only", NOTACTION, "Identity", pol(stmt(notaction="iam:*")))
pc("variables-in-resource", VARS, "Identity", pol(stmt(resource="arn:aws:s3:::b/${aws:username}/*")))
pc("session-old-version-accepted", SESSION, "Session", pol(stmt(), version="2008-10-17"))
pc("resource-short-with-trailing-star", RESOURCE, "Identity", pol(stmt(resource="arn:aws:s3:*")))
pc("resource-short-without-star", RESOURCE, "Identity", pol(stmt(resource="arn:aws:s3")), 'Resource arn:aws:s3 must be in ARN format or "*".')
pc("condition-values-mixed-types", CONDITION, "Identity", pol(stmt(cond={"NumericLessThan": {"s3:max-keys": [10, "20"]}})))

# ---------------------------------------------------------------- more principal kinds and keys
ANON = {"type": "Anonymous"}
SVC = {"type": "Service", "name": "events.amazonaws.com"}
ev("anonymous-star-deny", PRINCIPAL, "ExplicitDeny", principal=ANON, resource_policy=pol(stmt(principal="*"), stmt("Deny", principal="*")))
ev("anonymous-no-resource-policy", PRINCIPAL, "ImplicitDeny", principal=ANON, expect_denied_by="resource-based policy")
ev("anonymous-principal-type-key", KEYS, "Allowed", principal=ANON,
   resource_policy=RP("*", cond={"StringEquals": {"aws:PrincipalType": "Anonymous"}}))
ev("service-principal-name-key", KEYS, "Allowed", principal=SVC,
   resource_policy=RP("*", cond={"StringEquals": {"aws:PrincipalServiceName": "events.amazonaws.com"}}))
ev("service-principal-is-aws-service", KEYS, "Allowed", principal=SVC,
   resource_policy=RP("*", cond={"Bool": {"aws:PrincipalIsAWSService": "true"}}))
ev("service-principal-no-principal-arn", KEYS, "ExplicitDeny", principal=SVC,
   note="Service principals have no aws:PrincipalArn, so a StringNotEquals guard on it denies them.",
   resource_policy=pol(stmt(principal={"Service": "events.amazonaws.com"}),
                       stmt("Deny", principal="*", cond={"StringNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/Reader"}})))
ev("service-principal-rcp-guard", RCP, "Allowed", principal=SVC, resource_policy=RP({"Service": "events.amazonaws.com"}),
   rcp=[[RCPFULL, RCP_ORG]])
ev("user-has-no-token-issue-time", KEYS, "Allowed", identity=[pol(stmt(cond={"Null": {"aws:TokenIssueTime": "true"}}))])
ev("role-session-has-token-issue-time", KEYS, "Allowed", principal=READER, identity=[pol(stmt(cond={"Null": {"aws:TokenIssueTime": "false"}}))])
ev("role-session-has-no-username", KEYS, "Allowed", principal=READER, identity=[pol(stmt(cond={"Null": {"aws:username": "true"}}))])
ev("principal-type-user", KEYS, "Allowed", identity=[pol(stmt(cond={"StringEquals": {"aws:PrincipalType": "User"}}))])
ev("principal-type-assumed-role", KEYS, "Allowed", principal=READER, identity=[pol(stmt(cond={"StringEquals": {"aws:PrincipalType": "AssumedRole"}}))])
ev("principal-arn-of-session-is-role-arn", KEYS, "Allowed", principal=dict(READER, path="/ops/"),
   identity=[pol(stmt(cond={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/ops/Reader"}}))])
ev("principal-arn-of-session-is-not-session-arn", KEYS, "ImplicitDeny", principal=READER,
   identity=[pol(stmt(cond={"StringLike": {"aws:PrincipalArn": "arn:aws:sts::*"}}))])
ev("principal-account-key", KEYS, "Allowed", principal=READER_B, resource_account=A, identity=[pol(stmt())],
   resource_policy=RP("*", cond={"StringEquals": {"aws:PrincipalAccount": B}}))
ev("root-principal-arn-in-condition", KEYS, "ExplicitDeny",
   note="aws:PrincipalArn = ...:root in a condition matches only the root user (principal element docs).",
   identity=[pol(stmt())], resource_policy=pol(stmt(principal={"AWS": A}), stmt("Deny", principal="*", cond={"StringNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:root"}})))
ev("principal-tag-of-role-session", KEYS, "Allowed", principal=dict(READER, tags={"team": "session-value"}),
   identity=[pol(stmt(cond={"StringEquals": {"aws:PrincipalTag/team": "session-value"}}))])
ev("variable-in-notresource", VARS, "ImplicitDeny", action="s3:GetObject", resource="arn:aws:s3:::home/alice/x",
   identity=[pol(stmt(action="s3:GetObject", notresource="arn:aws:s3:::home/${aws:username}/*"))])
ev("notaction-and-notresource", NOTACTION, "Allowed", action="s3:GetObject", resource="arn:aws:s3:::b/x",
   identity=[pol(stmt(notaction="iam:*", notresource="arn:aws:s3:::secret/*"))])
ev("set-forall-negated-if-exists-absent", SVM, "Allowed",
   identity=[pol(stmt(cond={"ForAllValues:StringNotEqualsIfExists": {TK: ["a"]}}))])
ev("unknown-empty-operator-with-other-condition", CONDITION, "ImplicitDeny",
   identity=[pol(stmt(cond={"MadeUpOperator": {}, "StringEquals": {"ctx:a": "1"}}))], context={"ctx:a": "2"})
ev("web-identity-google-aud", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc_user-id.html", "Allowed",
   principal={"type": "IdentityProvider", "name": "accounts.google.com"},
   resource_policy=TRUST({"Federated": "accounts.google.com"}, cond={"StringEquals": {"accounts.google.com:aud": "app-1.apps.googleusercontent.com"}},
                         action="sts:AssumeRoleWithWebIdentity"),
   context={"accounts.google.com:aud": "app-1.apps.googleusercontent.com"},
   action="sts:AssumeRoleWithWebIdentity", resource=ROLE_ARN, resource_kind="RoleTrust")
ev("web-identity-other-provider", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc_user-id.html", "ImplicitDeny",
   principal={"type": "IdentityProvider", "name": "graph.facebook.com"},
   resource_policy=TRUST({"Federated": "accounts.google.com"}, action="sts:AssumeRoleWithWebIdentity"),
   action="sts:AssumeRoleWithWebIdentity", resource=ROLE_ARN, resource_kind="RoleTrust", expect_denied_by="role trust policy")


def main():
    if os.path.isdir(OUT):
        for f in os.listdir(OUT):
            if f.endswith(".json"):
                os.remove(os.path.join(OUT, f))
    os.makedirs(OUT, exist_ok=True)
    for name, case in sorted(cases.items()):
        case = dict(case)
        case["name"] = name
        for k in ("document",):
            if k in case and not isinstance(case[k], str):
                case[k] = json.dumps(case[k])
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(case, f, indent=2, sort_keys=True)
            f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
