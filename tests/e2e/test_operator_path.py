"""The operator's path from the quick start to production (issue 19, items 1 and 2).

- A store keeps the mode it was created in: a --dev store served without --dev, and a production
  store served with --dev, refuse to start with the message the README shows, on SQLite and on
  PostgreSQL, and write nothing.
- A store from before the mode mark is inferred once and then marked. The decision, tested below:
  a store with the bootstrap marker is production; one that holds accounts but was never
  bootstrapped is dev (only --dev creates accounts without bootstrapping, since production
  bootstraps before it serves anything); an empty one takes the mode of its next start.
- The bootstrap step says in the log why it was skipped, on every start that skips it.
- `iamd bootstrap env` output, evaluated by a shell, makes the aws CLI answer as the root; its
  `--profile` writes a profile the aws CLI uses.
- The README's quick-start and production blocks (fenced blocks after `<!-- tested: NAME -->`)
  run verbatim against a server on a free port: only the endpoint's port is rewritten (in the
  quick start's text, through IAMD_LISTEN for the production block).
"""

import json
import os
import re
import secrets
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import PG, ROOT, Server, iamd_binary

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ROOT_ARN = re.compile(r"arn:aws:iam::(\d{12}):root")


def plain(text: str) -> str:
    return ANSI.sub("", text)


def refused(*args, data_dir, env=None):
    """Runs `iamd serve` that must refuse to start: (exit status, its output without colours)."""
    cmd = [iamd_binary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                              env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"iamd serve {args} started instead of refusing:\n{e.stdout}") from None
    assert proc.returncode != 0, proc.stdout + proc.stderr
    return proc.returncode, plain(proc.stdout + proc.stderr)


def stopped(server):
    code = server.stop()
    assert code == 0, server.logs()
    return plain(server.logs())


def clean_env(home, **extra):
    """An environment with no AWS configuration of the caller's: only what the test gives."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "AWS_MAX_ATTEMPTS": "1",
           "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def bash(script, env, cwd=None):
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"exit {proc.returncode}\n--- script\n{script}\n--- stdout\n" \
                                 f"{proc.stdout}\n--- stderr\n{proc.stderr}"
    return proc.stdout


def bin_dir(tmp_path) -> Path:
    """A directory with `iamd` (the binary under test) in it, for PATH."""
    d = tmp_path / "bin"
    d.mkdir(exist_ok=True)
    link = d / "iamd"
    if not link.exists():
        link.symlink_to(Path(iamd_binary()).resolve())
    return d


def readme_block(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- tested: " + re.escape(name) + r" -->\s*```sh\n(.*?)```", text, re.S)
    assert m, f"README.md has no fenced sh block after <!-- tested: {name} -->"
    return m.group(1)


# --- the mode mark: SQLite ------------------------------------------------------------------------

def test_dev_store_served_without_dev_refuses(tmp_path):
    data = tmp_path / "iamd-data"
    s = Server("--dev", data_dir=data).start()
    s.client("sts").get_caller_identity()
    s.client("iam").create_user(UserName="alice")
    logs = stopped(s)
    assert "store: new; marked as a --dev store" in logs
    assert "bootstrap: skipped — --dev" in logs

    code, out = refused(data_dir=data)
    assert code == 1
    assert re.search(rf"iamd: {re.escape(str(data))} holds a --dev store \(created "
                     r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); served without --dev it would refuse "
                     r"`test`/`test` and bootstrap no management account, locking you out\. "
                     r"Serve it with --dev, or start production on another --data-dir / store "
                     r"URL\.", out), out
    # Nothing was bootstrapped or served, and the store is unchanged: --dev still serves it.
    assert not (data / "bootstrap-credentials.json").exists()
    assert "iamd is serving" not in out
    s = Server("--dev", data_dir=data).start()
    try:
        assert s.client("iam").get_user(UserName="alice")["User"]["UserName"] == "alice"
    finally:
        assert "store: a --dev store, created " in stopped(s)


def test_production_store_served_with_dev_refuses(tmp_path):
    data = tmp_path / "prod"
    s = Server("--account-id", "123456789012", data_dir=data).start()
    creds = json.loads((data / "bootstrap-credentials.json").read_text())
    logs = stopped(s)
    assert "store: new; marked as a production store" in logs

    code, out = refused("--dev", data_dir=data)
    assert code == 1
    assert re.search(rf"iamd: {re.escape(str(data))} holds a production store \(created "
                     r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, management account 123456789012\); with "
                     r"--dev, `test`/`test` would be the root of any account in it\. Serve it "
                     r"without --dev, or start --dev on another --data-dir / store URL\.", out), out
    # IAMD_DEV=true is the same start, and refused the same way.
    _, out = refused(data_dir=data, env={"IAMD_DEV": "true"})
    assert "holds a production store" in out

    s = Server(data_dir=data).start()
    try:
        ident = s.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"]) \
            .get_caller_identity()
        assert ident["Arn"] == "arn:aws:iam::123456789012:root"
    finally:
        stopped(s)


def test_bootstrap_says_why_it_was_skipped(tmp_path):
    data = tmp_path / "prod"
    s = Server("--account-id", "123456789012", data_dir=data).start()
    first = stopped(s)
    path = (data / "bootstrap-credentials.json").resolve()
    assert "bootstrap: created the management account" in first
    assert "bootstrap: skipped" not in first

    s = Server("--account-id", "999999999999", data_dir=data).start()
    logs = stopped(s)
    assert "bootstrap: created" not in logs
    assert re.search(r"bootstrap: skipped — the store already has its management account "
                     r"123456789012 \(created \d{4}-\d\d-\d\dT[\d:]+Z\); its credentials were "
                     rf"written once to {re.escape(str(path))} \(still there", logs), logs
    assert "--account-id 999999999999 is ignored: the store's management account is 123456789012" \
        in logs

    # The file moved away: the log says so instead of pointing at nothing.
    path.rename(tmp_path / "kept-elsewhere.json")
    s = Server(data_dir=data).start()
    logs = stopped(s)
    assert f"written once to {path}, which is not on this machine any more" in logs


def unmark(db: Path):
    """Makes a store look as if written before the mode mark existed."""
    with sqlite3.connect(db) as c:
        c.execute("DELETE FROM meta WHERE name IN ('store_mode', 'store_mode_since', "
                  "'bootstrap_credentials_file')")
    c.close()


def test_stores_from_before_the_mark_are_inferred(tmp_path):
    # A dev store with accounts and no bootstrap: dev. Production refuses it.
    dev = tmp_path / "dev"
    s = Server("--dev", data_dir=dev).start()
    s.client("sts", key="111111111111").get_caller_identity()
    stopped(s)
    unmark(dev / "iamd.db")
    _, out = refused(data_dir=dev)
    assert "holds a --dev store" in out
    assert "it predates the mode mark; its mode was inferred from its contents: it holds " \
           "accounts but was never bootstrapped, which only --dev does" in out
    s = Server("--dev", data_dir=dev).start()
    assert "store: from before the mode mark; marked as a --dev store" in stopped(s)
    _, out = refused(data_dir=dev)
    assert "holds a --dev store" in out and "predates" not in out

    # A bootstrapped store: production. --dev refuses it.
    prod = tmp_path / "prod"
    s = Server("--account-id", "123456789012", data_dir=prod).start()
    stopped(s)
    unmark(prod / "iamd.db")
    _, out = refused("--dev", data_dir=prod)
    assert "holds a production store" in out and "management account 123456789012" in out
    assert "it was bootstrapped" in out
    s = Server(data_dir=prod).start()
    assert "store: from before the mode mark; marked as a production store" in stopped(s)

    # An empty store (a dev store never used, or reset): whichever mode starts it first.
    empty = tmp_path / "empty"
    s = Server("--dev", data_dir=empty).start()
    stopped(s)
    unmark(empty / "iamd.db")
    s = Server(data_dir=empty).start()
    logs = stopped(s)
    assert "store: new; marked as a production store" in logs
    assert (empty / "bootstrap-credentials.json").exists()


def test_the_dev_reset_keeps_the_mark(tmp_path):
    import requests
    data = tmp_path / "d"
    s = Server("--dev", data_dir=data).start()
    s.client("sts").get_caller_identity()
    assert requests.post(f"{s.url}/_iamd/reset", timeout=10).status_code == 200
    stopped(s)
    _, out = refused(data_dir=data)
    assert "holds a --dev store" in out


# --- the mode mark: PostgreSQL --------------------------------------------------------------------

@pytest.fixture
def pg_store(tmp_path):
    if not PG:
        pytest.skip("SKIPPED: IAMD_TEST_POSTGRES_URL is not set; the PostgreSQL mode tests did not run")
    schema = f"e2e_mode_{secrets.token_hex(6)}"
    sep = "&" if "?" in PG else "?"
    key = tmp_path / "master.key"
    key.write_bytes(os.urandom(32))
    yield f"{PG}{sep}schema={schema}", key
    subprocess.run(["psql", PG, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
                   capture_output=True, timeout=30)


def test_postgres_dev_store_served_without_dev_refuses(tmp_path, pg_store):
    url, key = pg_store
    # Each start on its own data directory, as separate nodes: the mark is in the database.
    s = Server("--dev", "--store", url, "--master-key-file", str(key), data_dir=tmp_path / "a").start()
    s.client("sts", key="222222222222").get_caller_identity()
    stopped(s)
    code, out = refused("--store", url, "--master-key-file", str(key), data_dir=tmp_path / "b")
    assert code == 1
    assert re.search(r"iamd: the store postgres://\S+ holds a --dev store \(created [^)]+\); "
                     r"served without --dev it would refuse", out), out
    assert "Serve it with --dev, or start production on another --data-dir / store URL." in out
    assert not (tmp_path / "b" / "bootstrap-credentials.json").exists()
    s = Server("--dev", "--store", url, "--master-key-file", str(key), data_dir=tmp_path / "c").start()
    try:
        assert s.client("sts", key="222222222222").get_caller_identity()["Account"] == "222222222222"
    finally:
        stopped(s)


def test_postgres_production_store_served_with_dev_refuses(tmp_path, pg_store):
    url, key = pg_store
    s = Server("--account-id", "123456789012", "--store", url, "--master-key-file", str(key),
               data_dir=tmp_path / "a").start()
    first_file = (tmp_path / "a" / "bootstrap-credentials.json").resolve()
    stopped(s)
    code, out = refused("--dev", "--store", url, "--master-key-file", str(key),
                        data_dir=tmp_path / "b")
    assert code == 1
    assert re.search(r"iamd: the store postgres://\S+ holds a production store \(created [^)]+, "
                     r"management account 123456789012\); with --dev, `test`/`test` would be the "
                     r"root of any account in it", out), out
    # A second production node: no second bootstrap; its log points at the first node's file.
    s = Server("--store", url, "--master-key-file", str(key), data_dir=tmp_path / "b").start()
    logs = stopped(s)
    assert not (tmp_path / "b" / "bootstrap-credentials.json").exists()
    assert "bootstrap: skipped — the store already has its management account 123456789012" in logs
    assert f"written once to {first_file} (still there" in logs


# --- iamd bootstrap env ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    data = tmp_path_factory.mktemp("prod") / "iamd-data"
    s = Server("--account-id", "123456789012", data_dir=data).start()
    yield s
    assert s.stop() == 0, s.logs()


def test_bootstrap_env_evaluated_in_a_shell_answers_the_root(prod, tmp_path):
    env = clean_env(tmp_path, PATH=f"{bin_dir(tmp_path)}:{os.environ.get('PATH', '')}",
                    AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                    AWS_SESSION_TOKEN="stale-token-from-another-session", AWS_PROFILE="nonexistent")
    out = bash(f'eval "$(iamd bootstrap env --data-dir {prod.data_dir} --listen 0.0.0.0:{prod.port})"\n'
               'echo "endpoint=$AWS_ENDPOINT_URL region=$AWS_DEFAULT_REGION/$AWS_REGION"\n'
               'aws sts get-caller-identity --output json\n', env)
    assert f"endpoint=http://127.0.0.1:{prod.port} region=us-east-1/us-east-1" in out
    ident = json.loads(out[out.index("{"):])
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"

    # The lines themselves: one export per variable, values quoted, the secret only on stdout.
    creds = json.loads((prod.data_dir / "bootstrap-credentials.json").read_text())
    proc = subprocess.run([iamd_binary(), "bootstrap", "env", "--data-dir", str(prod.data_dir)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert f"export AWS_ACCESS_KEY_ID='{creds['AccessKeyId']}'" in proc.stdout.splitlines()
    assert f"export AWS_SECRET_ACCESS_KEY='{creds['SecretAccessKey']}'" in proc.stdout.splitlines()
    assert "export AWS_ENDPOINT_URL='http://127.0.0.1:4566'" in proc.stdout.splitlines()


def test_bootstrap_env_dev_answers_the_dev_root(tmp_path):
    s = Server("--dev", data_dir=tmp_path / "d").start()
    try:
        env = clean_env(tmp_path, PATH=f"{bin_dir(tmp_path)}:{os.environ.get('PATH', '')}",
                        AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        out = bash(f'eval "$(iamd bootstrap env --dev --endpoint-url {s.url}/)"\n'
                   'aws sts get-caller-identity --query Arn --output text\n', env)
        assert out.strip() == "arn:aws:iam::000000000000:root"
    finally:
        stopped(s)


def test_bootstrap_env_profile_writes_what_the_cli_uses(prod, tmp_path):
    creds_file = tmp_path / "aws" / "credentials"
    config_file = tmp_path / "aws" / "config"
    creds_file.parent.mkdir()
    creds_file.write_text("[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = x\n\n"
                          "[iamd]\naws_access_key_id = OLD\naws_secret_access_key = OLD\n"
                          "aws_session_token = OLD\n")
    config_file.write_text("[default]\nregion = eu-west-3\n")
    env = clean_env(tmp_path, PATH=f"{bin_dir(tmp_path)}:{os.environ.get('PATH', '')}",
                    AWS_SHARED_CREDENTIALS_FILE=str(creds_file), AWS_CONFIG_FILE=str(config_file),
                    AWS_ACCESS_KEY_ID="leftover", AWS_SECRET_ACCESS_KEY="leftover")
    out = bash(f'eval "$(iamd bootstrap env --data-dir {prod.data_dir} --profile iamd '
               f'--endpoint-url {prod.url})"\n'
               'echo "profile=$AWS_PROFILE"\n'
               'aws sts get-caller-identity --query Arn --output text\n', env)
    assert "profile=iamd" in out
    assert out.strip().splitlines()[-1] == "arn:aws:iam::123456789012:root"

    creds = json.loads((prod.data_dir / "bootstrap-credentials.json").read_text())
    text = creds_file.read_text()
    assert "[other]\naws_access_key_id = AKIAOTHER" in text, text
    assert "OLD" not in text, text
    assert text.count("[iamd]") == 1
    assert f"aws_secret_access_key = {creds['SecretAccessKey']}" in text
    assert stat.S_IMODE(os.stat(creds_file).st_mode) == 0o600
    conf = config_file.read_text()
    assert conf.startswith("[default]\nregion = eu-west-3\n"), conf
    assert f"[profile iamd]\nregion = us-east-1\nendpoint_url = {prod.url}\n" in conf
    # Run again: the profile is replaced, not repeated.
    bash(f"iamd bootstrap env --data-dir {prod.data_dir} --profile iamd --endpoint-url {prod.url}",
         env)
    assert creds_file.read_text().count("[iamd]") == 1
    assert config_file.read_text().count("[profile iamd]") == 1


def test_bootstrap_env_without_a_file_says_what_to_do(tmp_path):
    s = Server("--dev", data_dir=tmp_path / "dev").start()
    stopped(s)
    proc = subprocess.run([iamd_binary(), "bootstrap", "env", "--data-dir", str(tmp_path / "dev")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "bootstrap-credentials.json does not exist" in proc.stderr
    assert "a --dev store has none (use `iamd bootstrap env --dev`)" in proc.stderr
    proc = subprocess.run([iamd_binary(), "bootstrap", "env", "--data-dir", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "start `iamd serve` (without --dev) on this data directory first" in proc.stderr


# --- the README, verbatim -------------------------------------------------------------------------

def test_readme_quickstart_runs_verbatim(tmp_path):
    """The quick start's aws CLI flow: a user with a key, a role that trusts it, AssumeRole, and
    a secret read as the role. Only the endpoint's port is rewritten. Then what the README says
    next, with alice's key from the same run: alice herself may not read the secret."""
    script = readme_block("quickstart")
    assert script.count("http://127.0.0.1:4566") == 1
    s = Server("--dev", data_dir=tmp_path / "iamd-data").start()
    try:
        env = clean_env(tmp_path, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        out = bash(script.replace("http://127.0.0.1:4566", s.url) +
                   'echo "--- as alice"\n'
                   'AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET '
                   'aws secretsmanager get-secret-value --secret-id db-password 2>&1 || true\n',
                   env, cwd=tmp_path)
        flow, alice = out.split("--- as alice\n")
        lines = flow.strip().splitlines()
        assert lines[0] == "arn:aws:iam::000000000000:root", out
        assert lines[-1] == "hunter2", out
        # The README's expected outputs are the comments after the commands.
        expected = [l[2:] for l in script.splitlines() if re.fullmatch(r"# (arn:\S+|hunter2)", l)]
        assert expected == [lines[0], lines[-1]]
        assert "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: " \
               "secretsmanager:GetSecretValue" in alice, alice
    finally:
        stopped(s)


def test_readme_production_block_runs_verbatim(tmp_path):
    """`iamd serve` (the README's production start, here on a free port through IAMD_LISTEN as
    an operator would set it) and then the block verbatim, in the directory `./iamd-prod` is in."""
    s = Server(data_dir=tmp_path / "iamd-prod").start()
    try:
        env = clean_env(tmp_path, PATH=f"{bin_dir(tmp_path)}:{os.environ.get('PATH', '')}",
                        IAMD_LISTEN=f"127.0.0.1:{s.port}")
        out = bash(readme_block("production"), env, cwd=tmp_path)
        account = json.loads((tmp_path / "iamd-prod" / "bootstrap-credentials.json").read_text())[
            "AccountId"]
        lines = [l for l in out.splitlines() if l and not l.startswith(("#", "export", "unset"))]
        assert lines == [f"arn:aws:iam::{account}:root", account], out
        assert "[profile iamd]" in (tmp_path / ".aws" / "config").read_text()
        assert stat.S_IMODE(os.stat(tmp_path / ".aws").st_mode) == 0o700
    finally:
        stopped(s)
