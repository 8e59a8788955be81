"""CloudTrail's LookupEvents (#14), as boto3 and `aws cloudtrail lookup-events` drive it: the
awsJson1.1 protocol on iamd's port (X-Amz-Target
`com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`, signing name
`cloudtrail`), CloudTrail's own validation exceptions, `cloudtrail:LookupEvents` authorization,
and each account seeing its own events.

AWS documents the exception codes (botocore's model: InvalidLookupAttributesException,
InvalidTimeRangeException, InvalidMaxResultsException, InvalidNextTokenException,
InvalidEventCategoryException, all 400) but not their texts (aws-semantics-2.md §3.4: "Exact
messages: [open]"); the texts pinned here are iamd's (crates/iamd-core/src/error/cloudtrail.rs),
InvalidMaxResultsException's following the text a CloudTrail-compatible implementation answers.

The event-content tests need the audit store (iamd-audit) connected to LookupEvents: until it is,
no event comes back for a call just made, and they skip saying so."""

import datetime
import json
import time

import pytest
import requests

from conftest import cli_error, error_of

ACCT = "000000000000"
FRESH = "111111111111"  # dev mode: a 12-digit key id is that account's root
NOT_CONNECTED = ("SKIPPED: LookupEvents returned no event for a call just made: the audit store "
                 "(iamd-audit) is not connected to LookupEvents yet; this test runs once it is")



def others(events):
    """The events that are not LookupEvents calls."""
    return [e for e in events if e["EventName"] != "LookupEvents"]

def ct(dev, **kw):
    return dev.client("cloudtrail", **kw)


def attr(key, value):
    return [{"AttributeKey": key, "AttributeValue": value}]


def make_user(dev, name, policy=None):
    iam = dev.client("iam")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


LOOKUP_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]}


# --- protocol ------------------------------------------------------------------------------------

def test_a_fresh_account_finds_no_events(dev):
    # LookupEvents calls are events themselves (read-only management events, as on AWS): a fresh
    # account sees nothing else.
    out = ct(dev, key=FRESH, secret="test").lookup_events()
    assert others(out["Events"]) == []
    assert "NextToken" not in out
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert out["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    # Every parameter at once, valid.
    now = datetime.datetime.now(datetime.timezone.utc)
    out = ct(dev, key=FRESH, secret="test").lookup_events(
        LookupAttributes=attr("EventName", "CreateUser"),
        StartTime=now - datetime.timedelta(days=1), EndTime=now, MaxResults=50)
    assert out["Events"] == []
    # The paginator boto3 generates from the model.
    pages = list(ct(dev, key=FRESH, secret="test").get_paginator("lookup_events").paginate())
    assert [others(e) for p in pages for e in [p["Events"]]] == [[]]


def test_the_aws_cli_lookup_events(dev):
    proc = dev.cli("cloudtrail", "lookup-events", key=FRESH, secret="test")
    assert others(json.loads(proc.stdout)["Events"]) == []
    proc = dev.cli("cloudtrail", "lookup-events", "--lookup-attributes",
                   "AttributeKey=ReadOnly,AttributeValue=false", "--max-items", "5",
                   key=FRESH, secret="test")
    assert json.loads(proc.stdout)["Events"] == []


def test_unsigned_and_unknown_targets_answer_in_cloudtrails_protocol(dev):
    target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
    r = requests.post(dev.url, data=b"{}", timeout=10, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    # As for Secrets Manager, the other awsJson1.1 service (test_foundation.py).
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/x-amz-json-1.1"
    assert r.json() == {"__type": "MissingAuthenticationTokenException",
                        "Message": "Missing Authentication Token"}
    assert r.headers["x-amzn-RequestId"]
    # A signed request for an operation CloudTrail does not have.
    c = ct(dev)
    c.meta.events.register("before-sign.cloudtrail.LookupEvents", lambda request, **_:
                           request.headers.replace_header(
                               "X-Amz-Target", target.replace("LookupEvents", "NoSuchThing")))
    status, code, _ = error_of(c.lookup_events)
    assert (status, code) == (400, "UnknownOperationException")


def test_other_cloudtrail_operations_are_not_implemented(dev):
    status, code, msg = error_of(ct(dev).describe_trails)
    assert (status, code) == (501, "NotImplemented")
    assert "DescribeTrails" in msg


# --- validation ----------------------------------------------------------------------------------

TWO_ATTRS = ("InvalidLookupAttributesException",
             "You cannot specify more than one lookup attribute.")


def test_two_lookup_attributes(dev):
    status, code, msg = error_of(ct(dev).lookup_events, LookupAttributes=[
        {"AttributeKey": "Username", "AttributeValue": "root"},
        {"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
    assert (status, code, msg) == (400, *TWO_ATTRS)
    proc = dev.cli("cloudtrail", "lookup-events", "--lookup-attributes",
                   "AttributeKey=Username,AttributeValue=root",
                   "AttributeKey=EventName,AttributeValue=CreateUser", check=False)
    assert cli_error(proc) == TWO_ATTRS


def test_unknown_attribute_key(dev):
    # boto3 checks enums only client-side when asked; skip its validation to reach the server.
    c = ct(dev, parameter_validation=False)
    status, code, msg = error_of(c.lookup_events, LookupAttributes=attr("UserName", "root"))
    assert (status, code) == (400, "InvalidLookupAttributesException")
    assert msg == ("Lookup attribute key UserName is not valid. Valid keys are EventId, EventName, "
                   "ReadOnly, Username, ResourceType, ResourceName, EventSource and AccessKeyId.")


def test_bad_read_only_value_and_value_length(dev):
    status, code, msg = error_of(ct(dev).lookup_events, LookupAttributes=attr("ReadOnly", "yes"))
    assert (status, code, msg) == (
        400, "InvalidLookupAttributesException",
        "Lookup attribute value yes is not valid for ReadOnly. Specify true or false.")
    c = ct(dev, parameter_validation=False)
    status, code, msg = error_of(c.lookup_events, LookupAttributes=attr("EventName", "a" * 2001))
    assert (status, code, msg) == (
        400, "InvalidLookupAttributesException",
        "Lookup attribute value must be between 1 and 2000 characters.")
    # ',' counts twice: 1001 of them is over the limit.
    status, code, _ = error_of(c.lookup_events, LookupAttributes=attr("EventName", "," * 1001))
    assert code == "InvalidLookupAttributesException"
    assert ct(dev).lookup_events(LookupAttributes=attr("EventName", "a" * 2000))["Events"] == []


def test_max_results_51(dev):
    c = ct(dev, parameter_validation=False)
    status, code, msg = error_of(c.lookup_events, MaxResults=51)
    assert (status, code, msg) == (
        400, "InvalidMaxResultsException",
        "A max results value of 51 is invalid. Specify max results between 1 and 50.")
    status, code, _ = error_of(c.lookup_events, MaxResults=0)
    assert code == "InvalidMaxResultsException"
    proc = dev.cli("cloudtrail", "lookup-events", "--page-size", "51", check=False)
    assert cli_error(proc)[0] == "InvalidMaxResultsException"
    assert others(ct(dev).lookup_events(MaxResults=1)["Events"]) == []


def test_end_time_before_start_time(dev):
    now = datetime.datetime.now(datetime.timezone.utc)
    status, code, msg = error_of(ct(dev).lookup_events, StartTime=now,
                                 EndTime=now - datetime.timedelta(hours=1))
    assert (status, code, msg) == (400, "InvalidTimeRangeException",
                                   "Start time must be before or equal to end time.")
    proc = dev.cli("cloudtrail", "lookup-events", "--start-time", "2026-01-02T00:00:00Z",
                   "--end-time", "2026-01-01T00:00:00Z", check=False)
    assert cli_error(proc)[0] == "InvalidTimeRangeException"


def test_event_category(dev):
    assert ct(dev).lookup_events(EventCategory="insight")["Events"] == []
    c = ct(dev, parameter_validation=False)
    status, code, _ = error_of(c.lookup_events, EventCategory="management")
    assert (status, code) == (400, "InvalidEventCategoryException")


def test_a_next_token_iamd_did_not_issue(dev):
    status, code, _ = error_of(ct(dev).lookup_events, NextToken="bm90IGEgdG9rZW4")
    assert (status, code) == (400, "InvalidNextTokenException")


# --- authorization -------------------------------------------------------------------------------

def test_a_user_without_the_permission_is_denied(dev):
    key, secret = make_user(dev, "nobody")
    c = ct(dev, key=key, secret=secret)
    status, code, msg = error_of(c.lookup_events)
    assert (status, code) == (400, "AccessDeniedException")
    assert msg.startswith(f"User: arn:aws:iam::{ACCT}:user/nobody is not authorized to perform: "
                          "cloudtrail:LookupEvents"), msg
    proc = dev.cli("cloudtrail", "lookup-events", key=key, secret=secret, check=False)
    assert cli_error(proc)[0] == "AccessDeniedException"
    # Granted, it answers.
    dev.client("iam").put_user_policy(UserName="nobody", PolicyName="p",
                                      PolicyDocument=json.dumps(LOOKUP_POLICY))
    assert "Events" in c.lookup_events()


# --- event content (needs the audit store connected) ---------------------------------------------

def lookup_until(client, timeout=3.0, **kw):
    """Events LookupEvents returns, waiting up to `timeout` s for read-only events' group commit
    (the issue's bound is one second)."""
    deadline = time.time() + timeout
    while True:
        events = client.lookup_events(**kw)["Events"]
        if events or time.time() > deadline:
            return events
        time.sleep(0.2)


def test_a_call_just_made_shows_up_with_every_field(dev):
    iam = dev.client("iam")
    iam.create_user(UserName="audited")
    c = ct(dev)
    events = lookup_until(c, LookupAttributes=attr("EventName", "CreateUser"))
    if not events:
        pytest.skip(NOT_CONNECTED)
    e = events[0]
    assert e["EventName"] == "CreateUser"
    assert e["EventSource"] == "iam.amazonaws.com"
    assert e["ReadOnly"] == "false"
    assert e["Username"] == "root"
    assert e["AccessKeyId"] == "test"
    assert isinstance(e["EventTime"], datetime.datetime)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - e["EventTime"]).total_seconds()) < 120
    assert {"ResourceType": "AWS::IAM::User", "ResourceName": "audited"} in e["Resources"]
    record = json.loads(e["CloudTrailEvent"])
    assert record["eventID"] == e["EventId"]
    assert record["eventName"] == "CreateUser"
    assert record["eventSource"] == "iam.amazonaws.com"
    assert record["recipientAccountId"] == ACCT
    # Each attribute finds it.
    for key, value in [("EventId", e["EventId"]), ("EventName", "CreateUser"),
                       ("ReadOnly", "false"), ("Username", "root"),
                       ("ResourceType", "AWS::IAM::User"), ("ResourceName", "audited"),
                       ("EventSource", "iam.amazonaws.com"), ("AccessKeyId", "test")]:
        found = c.lookup_events(LookupAttributes=attr(key, value))["Events"]
        assert e["EventId"] in [f["EventId"] for f in found], (key, value)
    # ReadOnly=true does not.
    found = c.lookup_events(LookupAttributes=attr("ReadOnly", "true"))["Events"]
    assert e["EventId"] not in [f["EventId"] for f in found]
    # The CLI shows the same event.
    proc = dev.cli("cloudtrail", "lookup-events", "--lookup-attributes",
                   f"AttributeKey=EventId,AttributeValue={e['EventId']}")
    assert [x["EventId"] for x in json.loads(proc.stdout)["Events"]] == [e["EventId"]]


def test_paging_and_accounts_see_their_own(dev):
    iam = dev.client("iam")
    for i in range(5):
        iam.create_user(UserName=f"pg{i}")
    c = ct(dev)
    if not lookup_until(c, LookupAttributes=attr("ResourceName", "pg4")):
        pytest.skip(NOT_CONNECTED)
    seen, token, pages = [], None, 0
    while True:
        kw = {"LookupAttributes": attr("EventName", "CreateUser"), "MaxResults": 2}
        if token:
            kw["NextToken"] = token
        out = c.lookup_events(**kw)
        seen += [e["EventId"] for e in out["Events"]]
        pages += 1
        token = out.get("NextToken")
        if not token:
            break
        # The token is tied to its query.
        status, code, _ = error_of(c.lookup_events, NextToken=token,
                                   LookupAttributes=attr("EventName", "DeleteUser"))
        assert (status, code) == (400, "InvalidNextTokenException")
    assert len(seen) == len(set(seen)) >= 5 and pages >= 3
    times = [e["EventTime"] for e in c.lookup_events(MaxResults=50)["Events"]]
    assert times == sorted(times, reverse=True)  # newest first
    # Another account sees none of them.
    other = ct(dev, key=FRESH, secret="test").lookup_events(LookupAttributes=attr("EventName", "CreateUser"))
    assert not set(seen) & {e["EventId"] for e in other["Events"]}


def test_an_assumed_role_session_is_looked_up_by_its_session_name(dev):
    iam = dev.client("iam")
    key, secret = make_user(dev, "ops", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal":
             {"AWS": f"arn:aws:iam::{ACCT}:user/ops"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="Auditor", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="Auditor", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers",
                                                  "Resource": "*"}]}))
    creds = dev.client("sts", key=key, secret=secret).assume_role(
        RoleArn=f"arn:aws:iam::{ACCT}:role/Auditor", RoleSessionName="night-shift")["Credentials"]
    dev.client("iam", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
               token=creds["SessionToken"]).list_users()
    events = lookup_until(ct(dev), LookupAttributes=attr("AccessKeyId", creds["AccessKeyId"]))
    if not events:
        pytest.skip(NOT_CONNECTED)
    e = next(x for x in events if x["EventName"] == "ListUsers")
    assert e["Username"] == "night-shift"
    assert e["ReadOnly"] == "true"
    record = json.loads(e["CloudTrailEvent"])
    assert record["userIdentity"]["type"] == "AssumedRole"
    assert record["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"] == "Auditor"
