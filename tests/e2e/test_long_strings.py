"""No request input gets a server error (issue #11, finding 15: a 10,000-character
VirtualMFADeviceName answered HTTP 500). Every operation of IAM, STS and Secrets Manager in
botocore's models is sent once per string member — top level, and one level down in lists and
structures — with that member 10,000 characters long and every other required member given a
small value; botocore's own parameter checks are off, so the server sees exactly that. The answer
may be anything but a 5xx, except `NotImplemented` (501) for the operations iamd does not have.
"""

import copy
import datetime

import botocore.exceptions
import pytest

LONG = "a" * 10_000

# Small values that pass the usual patterns, by member name (everything else gets "a").
SMALL = {
    "PolicyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    "AssumeRolePolicyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}',
    "Path": "/",
    "PathPrefix": "/",
    "PolicyArn": "arn:aws:iam::000000000000:policy/p",
    "RoleArn": "arn:aws:iam::000000000000:role/r",
    "SerialNumber": "arn:aws:iam::000000000000:mfa/m",
    "PolicySourceArn": "arn:aws:iam::000000000000:user/u",
    "AuthenticationCode1": "123456",
    "AuthenticationCode2": "654321",
    "TokenCode": "123456",
    "VersionId": "v1",
    "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA",
    "ClientRequestToken": "00000000-0000-0000-0000-000000000000",
}


def small(shape, name="", depth=0):
    """A small value of `shape` with every required member present."""
    t = shape.type_name
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        return SMALL.get(name, "a")
    if t in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if t in ("double", "float"):
        return 1.0
    if t == "boolean":
        return False
    if t == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    if t == "blob":
        return b"a"
    if t == "list":
        return [small(shape.member, name, depth + 1)] if shape.metadata.get("min", 0) > 0 and depth < 3 else []
    if t == "map":
        return {}
    if t == "structure":
        return {m: small(shape.members[m], m, depth + 1) for m in shape.required_members if depth < 3}
    raise AssertionError(t)


def string_paths(shape, depth=0):
    """Paths (member names and list indexes) to string members, at most two levels down."""
    if shape.type_name == "string":
        yield ()
    elif depth < 2 and shape.type_name == "structure":
        for name, member in shape.members.items():
            for rest in string_paths(member, depth + 1):
                yield (name, *rest)
    elif depth < 2 and shape.type_name == "list":
        for rest in string_paths(shape.member, depth + 1):
            yield (0, *rest)


def with_long(params, shape, path):
    """`params` with the string at `path` set to LONG (creating what leads to it)."""
    params = copy.deepcopy(params)
    node, sh = params, shape
    for step, nxt in zip(path, path[1:] + (None,)):
        child = sh.members[step] if sh.type_name == "structure" else sh.member
        if nxt is None:
            if isinstance(node, list):
                node[:] = [LONG]
            else:
                node[step] = LONG
            return params
        if isinstance(node, list):
            if not node:
                node.append(small(child, "", 1))
            node = node[0]
        else:
            if step not in node or not node[step]:
                node[step] = small(child, step, 1) if child.type_name != "list" else [small(child.member, step, 2)]
            node = node[step]
        sh = child
    return params


@pytest.mark.parametrize("service", ["iam", "sts", "secretsmanager"])
def test_ten_thousand_characters_in_any_string_member_is_never_a_server_error(dev, service):
    client = dev.client(service, parameter_validation=False)
    model = client.meta.service_model
    methods = {api: py for py, api in client.meta.method_to_api_mapping.items()}
    sent, failures = 0, []
    for op_name in model.operation_names:
        op = model.operation_model(op_name)
        shape = op.input_shape
        if shape is None:
            continue
        base = small(shape)
        for path in string_paths(shape):
            params = with_long(base, shape, path)
            sent += 1
            try:
                getattr(client, methods[op_name])(**params)
                continue
            except botocore.exceptions.ClientError as e:
                r = e.response
                status, code = r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]
            if status >= 500 and not (status == 501 and code == "NotImplemented"):
                failures.append(f"{op_name} {'.'.join(map(str, path))}: {status} {code}")
    assert sent > {"iam": 300, "sts": 20, "secretsmanager": 50}[service], sent
    assert failures == [], "\n" + "\n".join(failures)


def test_the_longest_mfa_device_name_has_a_usable_serial(dev):
    # 226 = 256 (serialNumberType's maximum) - len("arn:aws:iam::000000000000:mfa/"): such a
    # device can still be named by every operation that takes a SerialNumber.
    import time

    from conftest import error_of
    from test_sts import totp

    iam = dev.client("iam")
    iam.create_user(UserName="u")
    assert error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName="a" * 227)[:2] == (400, "ValidationError")
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="a" * 226)["VirtualMFADevice"]
    serial, seed = d["SerialNumber"], d["Base32StringSeed"].decode()
    assert len(serial) == 256
    step = int(time.time()) // 30
    iam.enable_mfa_device(UserName="u", SerialNumber=serial,
                          AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    assert [m["SerialNumber"] for m in iam.list_mfa_devices(UserName="u")["MFADevices"]] == [serial]
    iam.deactivate_mfa_device(UserName="u", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
