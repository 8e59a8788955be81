"""The edge of authentication (issue #11, "Hold the security boundary"): what a signature must
cover, and what a credential scope may name.

Finding 8: every `x-amz-*` header sent must be signed. AWS's SigV4 guide: the canonical headers
must include `host` "and any x-amz-* headers"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html, step 1); content-type
is optional there. No AWS answer to an unsigned x-amz-* header was found recorded for IAM, STS or
Secrets Manager; iamd answers with the form of AWS's recorded answer for an unsigned `host`
(dynalite's recording: InvalidSignatureException "'Host' must be a 'SignedHeader' in the AWS
Authorization."), naming the header, under SignatureDoesNotMatch (query, 403) /
InvalidSignatureException (JSON, 400). botocore, the aws CLI and the Rust SDK sign every x-amz-*
header they send (the rest of the suite runs on them).

Finding 10: the credential scope's region must be a region of the `aws` partition (botocore's
endpoints.json, the list Secrets Manager replication already used). AWS's answer for a scope
naming a region the endpoint does not serve: SignatureDoesNotMatch (403) "Credential should be
scoped to a valid region, not 'ap-southeast-2'. " from sts.amazonaws.com
(cognitect-labs/aws-api#27, 2018, trailing space as recorded), the same text from IAM
(JuliaCloud/AWS.jl#565, aws/aws-sdk-php#493), and InvalidSignatureException "Credential should be
scoped to a valid region, not ''. " from a JSON service (fsouza/s3-upload-proxy#241). A name that is
no region at all has no DNS endpoint at AWS, so that recorded answer is the closest one. iamd is
lenient where AWS is strict in one way, by choice: AWS's global IAM and STS endpoints want
us-east-1, but a client pointed at iamd with --endpoint-url signs with its configured region, so
iamd accepts any region of the partition for every service.
"""

import uuid

import pytest
import requests

import awsraw
from conftest import error_of

HOST_FORM = "'{}' must be a 'SignedHeader' in the AWS Authorization."
GCI = "Action=GetCallerIdentity&Version=2011-06-15"


def unsigned(url, service, body, signed_headers, extra, **kw):
    """A request signed over `signed_headers`, then sent with `extra` headers added after signing
    (what a client that signs only some headers, or a man in the middle, sends)."""
    u, h, b = awsraw.signed(url, service, body, signed_headers, **kw)
    h.update(extra)
    return requests.post(u, headers=h, data=b, timeout=10)


@pytest.fixture
def secret(dev):
    sm = dev.client("secretsmanager")
    value = f"the-value-{uuid.uuid4()}"
    sm.create_secret(Name="boundary/db", SecretString=value)
    return value


def test_unsigned_target_swapped_to_get_secret_value_is_refused(dev, secret):
    body = b'{"SecretId":"boundary/db"}'
    # A DescribeSecret signed without its X-Amz-Target (as a client that signs only host and
    # x-amz-date would send it), then replayed with the target swapped to GetSecretValue.
    for target in ("GetSecretValue", "DescribeSecret"):
        r = unsigned(dev.url, "secretsmanager", body, {"Content-Type": awsraw.JSON_CT},
                     {"X-Amz-Target": f"secretsmanager.{target}"})
        assert secret not in r.text
        assert r.status_code == 400, r.text
        assert r.json()["__type"] == "InvalidSignatureException"
        assert r.json()["Message"] == HOST_FORM.format("x-amz-target")
    # Signed, the target cannot be swapped either: the signature no longer matches.
    u, h, b = awsraw.signed(dev.url, "secretsmanager", body, {
        "Content-Type": awsraw.JSON_CT, "X-Amz-Target": "secretsmanager.DescribeSecret"})
    assert requests.post(u, headers=h, data=b, timeout=10).status_code == 200
    h["X-Amz-Target"] = "secretsmanager.GetSecretValue"
    r = requests.post(u, headers=h, data=b, timeout=10)
    assert secret not in r.text
    assert (r.status_code, r.json()["__type"]) == (400, "InvalidSignatureException")
    assert r.json()["Message"].startswith("The request signature we calculated does not match")
    # boto3 signs the target: the real client still reads the value.
    assert dev.client("secretsmanager").get_secret_value(SecretId="boundary/db")["SecretString"] == secret


def test_unsigned_session_token_is_refused(dev):
    creds = dev.client("sts").get_session_token()["Credentials"]
    key, sec, token = creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    form = {"Content-Type": awsraw.QUERY_CT}
    # Signed with the session's key but the token left out of the signature (the AWS test suite's
    # post-sts-header-after shape).
    r = unsigned(dev.url, "sts", GCI.encode(), form, {"X-Amz-Security-Token": token},
                 key=key, secret=sec)
    assert r.status_code == 403, r.text
    assert awsraw.xml_error(r)[:2] == ("SignatureDoesNotMatch", HOST_FORM.format("x-amz-security-token"))
    # Any other unsigned x-amz-* header too, on IAM.
    r = unsigned(dev.url, "iam", b"Action=ListUsers&Version=2010-05-08", form,
                 {"X-Amz-Meta-Anything": "1"})
    assert r.status_code == 403, r.text
    assert awsraw.xml_error(r)[:2] == ("SignatureDoesNotMatch", HOST_FORM.format("x-amz-meta-anything"))
    # boto3 and the aws CLI sign the token: both work with the session.
    assert dev.client("sts", key=key, secret=sec, token=token).get_caller_identity()["Account"] == "000000000000"
    assert "000000000000" in dev.cli("sts", "get-caller-identity", key=key, secret=sec, token=token).stdout
    # Headers clients leave unsigned on purpose still pass.
    r = unsigned(dev.url, "sts", GCI.encode(), form,
                 {"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793", "User-Agent": "x"})
    assert r.status_code == 200, r.text


def test_presigned_url_with_an_unsigned_amz_header_is_refused(dev):
    url = dev.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    assert requests.get(url, timeout=10).status_code == 200
    # A presigned token travels in the query (signed); one sent as a header beside the URL is not.
    r = requests.get(url, headers={"X-Amz-Security-Token": "forged"}, timeout=10)
    assert r.status_code == 403, r.text
    assert awsraw.xml_error(r)[:2] == ("SignatureDoesNotMatch", HOST_FORM.format("x-amz-security-token"))


BAD_REGIONS = ["", "xx-fake-1", "us-east-1:000000000000:secret:evil", "US-EAST-1", "cn-north-1"]


@pytest.mark.parametrize("region", BAD_REGIONS)
def test_a_scope_outside_the_partition_is_refused(dev, region):
    text = f"Credential should be scoped to a valid region, not '{region}'. "
    for service, form in (("sts", GCI), ("iam", "Action=ListUsers&Version=2010-05-08")):
        r = awsraw.query(dev.url, service, form, region=region)
        assert r.status_code == 403, r.text
        assert awsraw.xml_error(r)[:2] == ("SignatureDoesNotMatch", text)
    # Secrets Manager: nothing is created under a forged region (it would have written
    # arn:aws:secretsmanager:us-east-1:000000000000:secret:evil:000000000000:secret:forged-…).
    r = awsraw.sm(dev.url, "CreateSecret", b'{"Name":"forged","SecretString":"x"}', region=region)
    assert r.status_code == 400, r.text
    assert (r.json()["__type"], r.json()["Message"]) == ("InvalidSignatureException", text)
    for served in ("us-east-1", "eu-west-1"):
        assert dev.client("secretsmanager", region=served).list_secrets()["SecretList"] == []


def test_every_region_of_the_partition_is_served(dev):
    # AWS's global IAM/STS endpoints want us-east-1, but clients pointed at iamd sign with their
    # own region: iamd accepts any region of the partition for every service (a deliberate choice).
    for region in ("us-east-1", "eu-west-1", "ap-southeast-7", "mx-central-1"):
        assert dev.client("sts", region=region).get_caller_identity()["Account"] == "000000000000"
        dev.client("iam", region=region).list_users()
        sm = dev.client("secretsmanager", region=region)
        arn = sm.create_secret(Name=f"in-{region}", SecretString="v")["ARN"]
        assert arn.startswith(f"arn:aws:secretsmanager:{region}:000000000000:secret:in-{region}-")
