"""Secrets Manager rotation of PostgreSQL logins by iamd's built-in rotators (issue #18), driven
with boto3 and the aws CLI through a real `iamd serve`, against a real PostgreSQL.

The rotators are chosen as AWS chooses a rotation function: RotationLambdaARN
`arn:aws:lambda:us-east-1:<account>:function:iamd-rotator-postgresql-single-user` (or
`...-postgresql-alternating-users`). They follow AWS's templates
SecretsManagerRDSPostgreSQLRotationSingleUser / ...MultiUser (aws-semantics-2.md §7.4–7.5):
single user changes the user's own password (the old one stops working at once); alternating
users has the master secret's user create `<user>_clone` with the grants of `<user>` and then
alternate between the two, each keeping its password until its next turn.

Prerequisites, each skipped loudly when missing:
- IAMD_TEST_POSTGRES_URL (a superuser URL, e.g. postgres://postgres@127.0.0.1:5432/test).
- A PostgreSQL that checks passwords. This machine's server trusts every TCP login
  (pg_hba `host all all 127.0.0.1/32 trust`), so "the old password no longer works" would be
  meaningless there and setSecret's "does the pending password already log in?" would always
  say yes. The `pg` fixture finds out (a role with a password, a login with a wrong one) and, on a
  trusting server, starts a private cluster (initdb from `pg_config --bindir`, SCRAM-SHA-256 on
  127.0.0.1) for the module, stopped and removed at teardown.
- The rotation engine: until it is merged, iamd answers RotateSecret with a rotation function
  with NotImplemented (or AWS's "cannot invoke" AccessDeniedException for a function it does not
  offer); each test then skips with that reason.

Logins are checked with `psql` (PGPASSWORD in the environment; no Python driver needed).
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import botocore.exceptions
import pytest

from conftest import PG, free_port

REGION = "us-east-1"
SINGLE = "postgresql-single-user"
ALTERNATING = "postgresql-alternating-users"
ROTATION_WAIT = 90  # seconds for a rotation to finish (the engine may retry with backoff)


# --- PostgreSQL that checks passwords ------------------------------------------------------------

class Postgres:
    def __init__(self, host, port, dbname, admin_env):
        self.host, self.port, self.dbname = host, port, dbname
        self.admin_env = admin_env  # PG* variables of a superuser connection

    def admin(self, sql):
        env = {**os.environ, **self.admin_env, "PGPASSFILE": "/dev/null"}
        r = subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-qtA", "-c", sql],
                           env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"psql failed: {r.stderr}"
        return r.stdout.strip()

    def logs_in(self, user, password):
        env = {**os.environ, "PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": user,
               "PGDATABASE": self.dbname, "PGPASSWORD": password, "PGSSLMODE": "disable",
               "PGCONNECT_TIMEOUT": "5", "PGPASSFILE": "/dev/null"}
        r = subprocess.run(["psql", "-qtA", "-w", "-c", "SELECT 1"], env=env,
                           capture_output=True, text=True, timeout=60)
        return r.returncode == 0 and r.stdout.strip() == "1"

    def role(self, name, password, extra=""):
        self.admin(f"CREATE ROLE {ident(name)} WITH LOGIN {extra} PASSWORD {literal(password)}")

    def role_exists(self, name):
        return self.admin(f"SELECT count(*) FROM pg_roles WHERE rolname = {literal(name)}") == "1"

    def drop_roles(self, *names):
        for n in names:
            self.admin(f"DROP ROLE IF EXISTS {ident(n)}")

    def secret(self, user, password, **extra):
        return {"engine": "postgres", "host": self.host, "port": self.port, "username": user,
                "password": password, "dbname": self.dbname, "ssl": False, **extra}


def ident(s):
    return '"' + s.replace('"', '""') + '"'


def literal(s):
    return "E'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def _checks_passwords(pg):
    probe = f"rot_probe_{uuid.uuid4().hex[:8]}"
    pg.role(probe, "the-right-one")
    try:
        return not pg.logs_in(probe, "a-wrong-one") and pg.logs_in(probe, "the-right-one")
    finally:
        pg.drop_roles(probe)


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stderr}")
    return r.stdout.strip()


@pytest.fixture(scope="module")
def pg():
    if not PG:
        pytest.skip("SKIPPED: IAMD_TEST_POSTGRES_URL is not set")
    u = urlparse(PG)
    shared = Postgres(u.hostname or "127.0.0.1", u.port or 5432, (u.path or "/postgres").lstrip("/") or "postgres",
                      {"PGHOST": u.hostname or "127.0.0.1", "PGPORT": str(u.port or 5432),
                       "PGUSER": u.username or "postgres", "PGDATABASE": (u.path or "/postgres").lstrip("/"),
                       **({"PGPASSWORD": u.password} if u.password else {})})
    if _checks_passwords(shared):
        yield shared
        return
    # A trusting server: a private cluster that checks passwords.
    try:
        bindir = Path(_run(["pg_config", "--bindir"]))
    except (OSError, RuntimeError) as e:
        pytest.skip(f"SKIPPED: the PostgreSQL at IAMD_TEST_POSTGRES_URL accepts any password and "
                    f"no private cluster can be started ({e})")
    root = os.geteuid() == 0
    as_pg = ["runuser", "-u", "postgres", "--"] if root else []
    tmp = Path(tempfile.mkdtemp(prefix="iamd-e2e-pg-"))
    if root:
        shutil.chown(tmp, "postgres", "postgres")
    data = tmp / "data"
    port = free_port()
    try:
        _run([*as_pg, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
              "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"])
        with open(data / "postgresql.conf", "a") as f:
            f.write(f"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{tmp}'\n"
                    "fsync = off\npassword_encryption = 'scram-sha-256'\n")
        _run([*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"), "-w", "start"])
    except (OSError, RuntimeError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.skip(f"SKIPPED: the PostgreSQL at IAMD_TEST_POSTGRES_URL accepts any password and "
                    f"the private cluster did not start ({e})")
    private = Postgres("127.0.0.1", port, "postgres",
                       {"PGHOST": str(tmp), "PGPORT": str(port), "PGUSER": "postgres", "PGDATABASE": "postgres"})
    try:
        assert _checks_passwords(private), "the private cluster must check passwords"
        yield private
    finally:
        subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


# --- the server's side -----------------------------------------------------------------------------

def account_of(dev):
    return dev.client("sts", region=REGION).get_caller_identity()["Account"]


def rotator_arn(account, name):
    return f"arn:aws:lambda:{REGION}:{account}:function:iamd-rotator-{name}"


def require_rotator(dev, name):
    """Skips the test while the server does not run built-in rotators (the engine is not merged)."""
    c = dev.client("secretsmanager", region=REGION)
    probe = f"rotation-probe-{uuid.uuid4().hex[:8]}"
    c.create_secret(Name=probe, SecretString="{}")
    try:
        c.rotate_secret(SecretId=probe, RotationLambdaARN=rotator_arn(account_of(dev), name),
                        RotateImmediately=False)
    except botocore.exceptions.ClientError as e:
        code, msg = e.response["Error"]["Code"], e.response["Error"].get("Message", "")
        if code == "NotImplemented" or (code == "AccessDeniedException" and "cannot invoke" in msg):
            pytest.skip(f"SKIPPED: the server does not run the built-in rotator {name} yet "
                        f"({code}: {msg}); this test runs once the rotation engine of #18 is merged")
        # Any other answer (the probe's "{}" is no database secret): the engine is there.
    finally:
        try:
            c.delete_secret(SecretId=probe, ForceDeleteWithoutRecovery=True)
        except botocore.exceptions.ClientError:
            pass


def current_version(c, name):
    for vid, stages in c.describe_secret(SecretId=name)["VersionIdsToStages"].items():
        if "AWSCURRENT" in stages:
            return vid
    raise AssertionError(f"{name} has no AWSCURRENT version")


def wait_rotated(c, name, old_version, token=None):
    """Waits until AWSCURRENT has moved off old_version (to `token` when given); the new value."""
    deadline = time.time() + ROTATION_WAIT
    while time.time() < deadline:
        now = current_version(c, name)
        if now != old_version:
            if token is not None:
                assert now == token, f"AWSCURRENT moved to {now}, not to the rotation's token {token}"
            return json.loads(c.get_secret_value(SecretId=name)["SecretString"])
        time.sleep(0.5)
    raise AssertionError(f"{name} was not rotated within {ROTATION_WAIT} s: "
                         f"{json.dumps(c.describe_secret(SecretId=name), default=str)}")


def stays_unrotated(c, name, old_version, seconds=15):
    """Checks for a while that AWSCURRENT does not move (a rotation that must fail)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert current_version(c, name) == old_version, "a failing rotation must not move AWSCURRENT"
        time.sleep(0.5)


def pending_value(c, name):
    """The AWSPENDING value a failed rotation left, if createSecret stored one."""
    try:
        return json.loads(c.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["SecretString"])
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException", e.response
        return None


def assert_not_logged(dev, *passwords):
    """No password in the server's log (issue #18: "No password appears in logs")."""
    logs = dev.logs()
    for p in passwords:
        assert p not in logs, "a password appears in the server's log"


# --- the tests ------------------------------------------------------------------------------------

def test_single_user_rotation_changes_the_database_password(dev, request):
    require_rotator(dev, SINGLE)
    pg = request.getfixturevalue("pg")
    c = dev.client("secretsmanager", region=REGION)
    account = account_of(dev)
    user = f"rot_single_{uuid.uuid4().hex[:8]}"
    pg.role(user, "Initial-Pass-1")
    try:
        name = f"db/{user}"
        old = pg.secret(user, "Initial-Pass-1")
        c.create_secret(Name=name, SecretString=json.dumps(old))
        before = current_version(c, name)
        assert pg.logs_in(user, "Initial-Pass-1")

        r = c.rotate_secret(SecretId=name, RotationLambdaARN=rotator_arn(account, SINGLE),
                            RotationRules={"AutomaticallyAfterDays": 30})
        new = wait_rotated(c, name, before, token=r["VersionId"])
        assert new["username"] == user and new["host"] == old["host"] and new["port"] == old["port"]
        assert new["password"] != old["password"] and len(new["password"]) == 32
        assert pg.logs_in(user, new["password"]), "the new password works"
        assert not pg.logs_in(user, old["password"]), "the old password no longer works"
        prev = json.loads(c.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"])
        assert prev == old
        d = c.describe_secret(SecretId=name)
        assert d["RotationEnabled"] is True
        assert d["RotationLambdaARN"] == rotator_arn(account, SINGLE)
        assert "LastRotatedDate" in d

        # Again with the aws CLI, from the stored configuration.
        second_before = current_version(c, name)
        dev.cli("secretsmanager", "rotate-secret", "--secret-id", name, region=REGION)
        newer = wait_rotated(c, name, second_before)
        assert pg.logs_in(user, newer["password"])
        assert not pg.logs_in(user, new["password"])
        assert_not_logged(dev, old["password"], new["password"], newer["password"])
    finally:
        pg.drop_roles(user)


def test_alternating_users_creates_the_clone_then_alternates(dev, request):
    require_rotator(dev, ALTERNATING)
    pg = request.getfixturevalue("pg")
    c = dev.client("secretsmanager", region=REGION)
    account = account_of(dev)
    tag = uuid.uuid4().hex[:8]
    master, app = f"rot_master_{tag}", f"rot_app_{tag}"
    clone = f"{app}_clone"
    pg.role(master, "Master-Pass-1", "CREATEROLE")
    pg.role(app, "App-Pass-1")
    try:
        master_arn = c.create_secret(Name=f"db/{master}",
                                     SecretString=json.dumps(pg.secret(master, "Master-Pass-1")))["ARN"]
        name = f"db/{app}"
        c.create_secret(Name=name, SecretString=json.dumps(pg.secret(app, "App-Pass-1", masterarn=master_arn)))

        before = current_version(c, name)
        c.rotate_secret(SecretId=name, RotationLambdaARN=rotator_arn(account, ALTERNATING))
        first = wait_rotated(c, name, before)
        assert first["username"] == clone and first["masterarn"] == master_arn
        assert pg.logs_in(clone, first["password"])
        assert pg.logs_in(app, "App-Pass-1"), "the other user keeps its password until its turn"
        assert pg.admin(f"SELECT pg_has_role({literal(clone)}, {literal(app)}, 'MEMBER')") == "t"

        before = current_version(c, name)
        c.rotate_secret(SecretId=name)
        second = wait_rotated(c, name, before)
        assert second["username"] == app
        assert pg.logs_in(app, second["password"])
        assert not pg.logs_in(app, "App-Pass-1")
        assert pg.logs_in(clone, first["password"])
        assert_not_logged(dev, "App-Pass-1", "Master-Pass-1", first["password"], second["password"])
    finally:
        pg.drop_roles(clone, app, master)


def test_a_password_changed_behind_iamds_back_fails_the_rotation_and_changes_nothing(dev, request):
    require_rotator(dev, SINGLE)
    pg = request.getfixturevalue("pg")
    c = dev.client("secretsmanager", region=REGION)
    account = account_of(dev)
    user = f"rot_behind_{uuid.uuid4().hex[:8]}"
    pg.role(user, "In-The-Secret-1")
    try:
        name = f"db/{user}"
        c.create_secret(Name=name, SecretString=json.dumps(pg.secret(user, "In-The-Secret-1")))
        before = current_version(c, name)
        pg.admin(f"ALTER ROLE {ident(user)} WITH PASSWORD {literal('Changed-Behind-1')}")

        c.rotate_secret(SecretId=name, RotationLambdaARN=rotator_arn(account, SINGLE))
        stays_unrotated(c, name, before)
        # AWSCURRENT is the value it was; the database was not touched by the failed rotation.
        current = json.loads(c.get_secret_value(SecretId=name)["SecretString"])
        assert current["password"] == "In-The-Secret-1"
        assert pg.logs_in(user, "Changed-Behind-1")
        pending = pending_value(c, name)
        if pending is not None:
            assert not pg.logs_in(user, pending["password"])
    finally:
        pg.drop_roles(user)


def test_a_master_that_cannot_log_in_leaves_the_current_login_working(dev, request):
    require_rotator(dev, ALTERNATING)
    pg = request.getfixturevalue("pg")
    c = dev.client("secretsmanager", region=REGION)
    account = account_of(dev)
    tag = uuid.uuid4().hex[:8]
    master, app = f"rot_master_{tag}", f"rot_app_{tag}"
    pg.role(master, "Master-Pass-1", "CREATEROLE")
    pg.role(app, "App-Pass-1")
    try:
        master_arn = c.create_secret(Name=f"db/{master}",
                                     SecretString=json.dumps(pg.secret(master, "Not-The-Master-Pass")))["ARN"]
        name = f"db/{app}"
        c.create_secret(Name=name, SecretString=json.dumps(pg.secret(app, "App-Pass-1", masterarn=master_arn)))
        before = current_version(c, name)
        c.rotate_secret(SecretId=name, RotationLambdaARN=rotator_arn(account, ALTERNATING))
        stays_unrotated(c, name, before)
        assert pg.logs_in(app, "App-Pass-1")
        assert not pg.role_exists(f"{app}_clone")
        assert json.loads(c.get_secret_value(SecretId=name)["SecretString"])["username"] == app
    finally:
        pg.drop_roles(f"{app}_clone", app, master)


def test_the_master_secret_is_read_as_the_principal_that_configured_rotation(dev, request):
    """Alternating users reads `masterarn` with the permissions of the caller of RotateSecret,
    never with iamd's own (issue #18, "Authorization as AWS"): a user who may rotate the app
    secret but not read the master secret gets no rotation, and nothing changes."""
    require_rotator(dev, ALTERNATING)
    pg = request.getfixturevalue("pg")
    c = dev.client("secretsmanager", region=REGION)
    account = account_of(dev)
    tag = uuid.uuid4().hex[:8]
    master, app = f"rot_master_{tag}", f"rot_app_{tag}"
    pg.role(master, "Master-Pass-1", "CREATEROLE")
    pg.role(app, "App-Pass-1")
    try:
        master_arn = c.create_secret(Name=f"db/{master}",
                                     SecretString=json.dumps(pg.secret(master, "Master-Pass-1")))["ARN"]
        name = f"db/{app}"
        app_arn = c.create_secret(Name=name, SecretString=json.dumps(
            pg.secret(app, "App-Pass-1", masterarn=master_arn)))["ARN"]
        iam = dev.client("iam")
        iam.create_user(UserName="rotator-of-app")
        iam.put_user_policy(UserName="rotator-of-app", PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": app_arn}],
        }))
        key = iam.create_access_key(UserName="rotator-of-app")["AccessKey"]
        as_user = dev.client("secretsmanager", region=REGION, key=key["AccessKeyId"],
                             secret=key["SecretAccessKey"])
        before = current_version(c, name)
        as_user.rotate_secret(SecretId=name, RotationLambdaARN=rotator_arn(account, ALTERNATING))
        stays_unrotated(c, name, before)
        assert not pg.role_exists(f"{app}_clone")
        assert pg.logs_in(app, "App-Pass-1")
    finally:
        pg.drop_roles(f"{app}_clone", app, master)
