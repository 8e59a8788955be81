"""Packaging (issue #19, item 5): the Dockerfile and the systemd unit in deploy/.

Where this machine has no docker daemon, the image cannot be built here; the tests then run what
the image would run — the Dockerfile's ENTRYPOINT + CMD with its ENV, checked by its HEALTHCHECK —
against the built binary, parsing the Dockerfile so they cannot drift from it. The systemd unit is
checked by `systemd-analyze verify` and its ExecStart is run with the unit's environment.
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import boto3
import pytest
import requests

from conftest import ROOT, free_port, iamd_binary

DOCKERFILE = ROOT / "Dockerfile"
UNIT = ROOT / "deploy" / "iamd.service"
IMAGE_BINARY = "/usr/local/bin/iamd"


# --- parsing ------------------------------------------------------------------------------------

def dockerfile_stages():
    """[(stage name, [(INSTRUCTION, arguments)])], line continuations joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, args = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            m = re.search(r"\bAS\s+(\S+)", args, re.I)
            stages.append((m.group(1) if m else None, []))
        elif stages:
            stages[-1][1].append((instr, args.strip()))
    return stages


def final_stage():
    return dockerfile_stages()[-1][1]


def exec_form(args):
    """A JSON exec-form argument list (`["a", "b"]`); the shell form is not used here."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def image_env():
    env = {}
    for instr, args in final_stage():
        if instr == "ENV":
            for pair in shlex.split(args):
                k, _, v = pair.partition("=")
                env[k] = v
    return env


def image_copies():
    """Destination → source of the final stage's COPY lines from the build context."""
    out = {}
    for instr, args in final_stage():
        if instr == "COPY" and "--from=" not in args:
            words = [w for w in args.split() if not w.startswith("--")]
            out[words[-1]] = ROOT / words[0]
    return out


def one(instr):
    found = [a for i, a in final_stage() if i == instr]
    assert len(found) == 1, f"{instr}: {found}"
    return found[0]


def healthcheck_command():
    args = one("HEALTHCHECK")
    m = re.search(r"\bCMD\s+(\[.*\])\s*$", args)
    assert m, args
    return exec_form(m.group(1))


def unit_lines():
    """[(section, key, value)] of the systemd unit."""
    out, section = [], None
    for line in re.sub(r"\\\n", " ", UNIT.read_text()).splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        k, _, v = line.partition("=")
        out.append((section, k.strip(), v.strip()))
    return out


def unit_values(key):
    return [v for s, k, v in unit_lines() if s == "Service" and k == key]


# --- running ------------------------------------------------------------------------------------

def clean_env(**extra):
    """No IAMD_* or AWS_* from the test's own environment: only what the packaging sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMD_", "AWS_"))}
    env.update(extra)
    return env


def wait_until(check, what, timeout=30, proc=None, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"iamd exited early ({proc.returncode}):\n{log.read_text() if log else ''}")
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text() if log else ''}")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def self_signed(d: Path):
    cert, key = d / "tls.pem", d / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return cert, key


# --- the Dockerfile -----------------------------------------------------------------------------

def test_dockerfile_shape():
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage: a build stage and a slim runtime stage"
    build = stages[0][1]
    assert any(i == "RUN" and "cargo build --release --locked -p iamd --bin iamd" in a for i, a in build)
    # The runtime stage takes only the binary from the build stage.
    from_build = [a for i, a in final_stage() if i == "COPY" and "--from=" in a]
    assert from_build == [f"--from={stages[0][0]} {IMAGE_BINARY} {IMAGE_BINARY}"], from_build
    user = one("USER").split(":")[0]
    assert user not in ("root", "0"), "the image runs as a non-root user"
    env = image_env()
    assert exec_form(one("VOLUME")) == [env["IAMD_DATA_DIR"]], "the data directory is the volume"
    assert one("EXPOSE") == env["IAMD_LISTEN"].rsplit(":", 1)[1]
    assert exec_form(one("ENTRYPOINT")) == [IMAGE_BINARY]
    assert "/_iamd/health" in image_copies()[healthcheck_command()[0]].read_text()


def test_dockerignore_lets_only_the_build_inputs_in():
    """An allow-list: every COPY source is let in, nothing else — above all not ./iamd-data with
    its master key, nor target/."""
    lines = [l.strip() for l in (ROOT / ".dockerignore").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    assert lines[0] == "*", lines
    allowed = {l[1:] for l in lines if l.startswith("!")}
    sources = []
    for _, instrs in dockerfile_stages():
        for instr, args in instrs:
            if instr == "COPY" and "--from=" not in args:
                sources += [w for w in args.split() if not w.startswith("--")][:-1]
    assert sources
    for src in sources:
        assert src in allowed, f"COPY {src} is not let in by .dockerignore"
        assert (ROOT / src).exists(), src
    assert not any(a.startswith(("iamd-data", "target", ".venv", ".git")) for a in allowed)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_image_command_and_healthcheck_against_the_binary(tmp_path, tls):
    """The image's ENTRYPOINT + CMD with its ENV (listen address and data directory moved to a
    free loopback port and a temporary directory), judged by its HEALTHCHECK: healthy once
    serving, a production first start whose bootstrap root answers, unhealthy once stopped."""
    env = image_env()
    port = free_port()
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    assert env["IAMD_LISTEN"] == "0.0.0.0:4566"
    env.update(IAMD_LISTEN=f"127.0.0.1:{port}", IAMD_DATA_DIR=str(data))
    verify = None
    if tls:
        cert, key = self_signed(tmp_path)
        env.update(IAMD_TLS_CERT=str(cert), IAMD_TLS_KEY=str(key))
        verify = str(cert)
    argv = [iamd_binary() if a == IMAGE_BINARY else a
            for a in exec_form(one("ENTRYPOINT")) + exec_form(one("CMD"))]
    health = healthcheck_command()
    health = [str(image_copies().get(health[0], health[0])), *health[1:]]
    log = tmp_path / "iamd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=clean_env(**env), stdout=out, stderr=subprocess.STDOUT)
    try:
        def healthy():
            return subprocess.run(health, env=clean_env(**env), capture_output=True, timeout=10).returncode == 0
        wait_until(healthy, "the HEALTHCHECK to pass", proc=proc, log=log)
        # No --dev in the image: the first start made the management account's root key.
        creds = json.loads((data / "bootstrap-credentials.json").read_text())
        scheme = "https" if tls else "http"
        sts = boto3.client("sts", endpoint_url=f"{scheme}://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], verify=verify)
        assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{creds['AccountId']}:root"
    finally:
        code = stop(proc)
    assert code == 0, log.read_text()
    assert subprocess.run(health, env=clean_env(**env), capture_output=True, timeout=10).returncode != 0


def docker_daemon():
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def test_image_builds_and_becomes_healthy():
    """Where a docker daemon runs: the image builds from the repository, starts, becomes healthy
    by its own HEALTHCHECK, answers /_iamd/health on the published port, and is not root.
    IAMD_SKIP_DOCKER=1 skips the (release) build."""
    if os.environ.get("IAMD_SKIP_DOCKER") == "1":
        pytest.skip("SKIPPED: IAMD_SKIP_DOCKER=1, so the image was not built")
    if not docker_daemon():
        pytest.skip("SKIPPED: no docker daemon on this machine, so the image was not built; "
                    "test_image_command_and_healthcheck_against_the_binary ran its command instead")
    tag = f"iamd-e2e:{os.getpid()}"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=3600)
    name = f"iamd-e2e-{os.getpid()}"
    port = free_port()
    subprocess.run(["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:4566", tag],
                   check=True, capture_output=True, timeout=60)
    try:
        def healthy():
            out = subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}", name],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
            return out == "healthy"
        wait_until(healthy, "the container to be healthy", timeout=120)
        assert requests.get(f"http://127.0.0.1:{port}/_iamd/health", timeout=5).json()["status"] == "ok"
        uid = subprocess.run(["docker", "exec", name, "id", "-u"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
        assert uid != "0"
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60)


# --- the systemd unit ---------------------------------------------------------------------------

def readme_tls_dropin():
    """The `[Service]` lines of the README's TLS drop-in (its ```ini block)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Running in production\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```ini\n(.*?)```", section, flags=re.S)
    lines = block.strip().splitlines()
    assert lines[0] == "[Service]", block
    return lines[1:]


def unit_for_this_machine(tmp_path, extra=()):
    """The unit with ExecStart pointing at the built binary (verify checks it is executable),
    and `extra` [Service] lines appended."""
    text = UNIT.read_text().replace(IMAGE_BINARY, iamd_binary())
    text = text.replace("\n[Install]\n", "\n" + "".join(f"{l}\n" for l in extra) + "\n[Install]\n")
    path = tmp_path / "iamd.service"
    path.write_text(text)
    return path


def test_systemd_unit_verifies(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("SKIPPED: systemd-analyze is not installed, so deploy/iamd.service was not "
                    "verified (its ExecStart is still run by test_systemd_unit_execstart_runs)")
    # The unit as shipped, and with the README's TLS drop-in.
    for extra in ((), readme_tls_dropin()):
        unit = unit_for_this_machine(tmp_path, extra)
        proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        # verify passes over unknown keys with a warning: none may be there.
        assert "Unknown" not in proc.stderr and "ignoring" not in proc.stderr, proc.stderr
    sec = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(unit)],
                         capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", sec.stdout + sec.stderr)
    if m is None:
        pytest.skip(f"SKIPPED: this systemd-analyze has no offline security report:\n{sec.stderr}")
    assert float(m.group(1)) <= 2.0, sec.stdout


def test_systemd_unit_hardening_is_declared():
    values = {k: v for s, k, v in unit_lines() if s == "Service"}
    for key, want in [("DynamicUser", "yes"), ("StateDirectory", "iamd"), ("ProtectSystem", "strict"),
                      ("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"), ("ProtectHome", "yes"),
                      ("CapabilityBoundingSet", ""), ("UMask", "0077")]:
        assert values.get(key) == want, f"{key}={values.get(key)!r}"
    env = dict(e.split("=", 1) for e in unit_values("Environment"))
    assert env["IAMD_DATA_DIR"] == "/var/lib/" + values["StateDirectory"]


@pytest.mark.parametrize("tls", [False, True], ids=["unit", "unit+readme-tls-dropin"])
def test_systemd_unit_execstart_runs(tmp_path, tls):
    """ExecStart with the unit's Environment= lines and its credentials (%d is the credentials
    directory) starts a production server that uses the master key credential and writes none;
    with the README's TLS drop-in it serves HTTPS from the certificate credentials."""
    extra = readme_tls_dropin() if tls else []
    service = unit_lines() + [("Service", *l.split("=", 1)) for l in extra]
    values = lambda key: [v for s, k, v in service if s == "Service" and k == key]
    (exec_start,) = values("ExecStart")
    argv = [iamd_binary() if a == IMAGE_BINARY else a for a in shlex.split(exec_start)]
    creds = tmp_path / "credentials"
    creds.mkdir(mode=0o700)
    cert, key = self_signed(tmp_path)
    for cred in values("LoadCredential"):
        name, _, source = cred.partition(":")
        content = {"/etc/iamd/tls.pem": cert.read_bytes(), "/etc/iamd/tls.key": key.read_bytes()}
        (creds / name).write_bytes(content.get(source) or os.urandom(32))
    env = {}
    for line in values("Environment"):
        for pair in shlex.split(line):
            k, _, v = pair.partition("=")
            env[k] = v.replace("%d", str(creds))
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    port = free_port()
    assert env["IAMD_LISTEN"].endswith(":4566")
    env.update(IAMD_LISTEN=f"127.0.0.1:{port}", IAMD_DATA_DIR=str(state))
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/_iamd/health"
    log = tmp_path / "iamd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=clean_env(**env), stdout=out, stderr=subprocess.STDOUT)
    try:
        def healthy():
            try:
                return requests.get(url, timeout=1, verify=str(cert)).status_code == 200
            except requests.RequestException:
                return False
        wait_until(healthy, "health", proc=proc, log=log)
        assert not (state / "master.key").exists(), "the credential is the master key"
        assert (state / "bootstrap-credentials.json").exists()
    finally:
        code = stop(proc)
    assert code == 0, log.read_text()


def test_every_flag_the_packaging_uses_is_real():
    """The IAMD_* variables of the Dockerfile and the unit are ones `iamd serve` reads."""
    help_text = subprocess.run([iamd_binary(), "serve", "--help"], capture_output=True, text=True,
                               check=True, timeout=30).stdout
    known = set(re.findall(r"\[env:\s+(IAMD_[A-Z_]+)=", help_text))
    assert {"IAMD_LISTEN", "IAMD_DATA_DIR", "IAMD_MASTER_KEY_FILE"} <= known
    used = set(image_env())
    for line in unit_values("Environment"):
        used |= {p.split("=", 1)[0] for p in shlex.split(line)}
    assert used <= known, used - known
    # The README's production section names only real options: IAMD_* variables anywhere, and
    # --flags in its prose (its code blocks also run cargo and docker).
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Running in production\n", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"\b(IAMD_[A-Z_]+)", section)) <= known
    prose = re.sub(r"```.*?```", "", section, flags=re.S)
    serve_flags = set(re.findall(r"(--[a-z][a-z-]+)", help_text))
    assert set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", prose)) <= serve_flags
    assert "cargo install --locked --path crates/iamd" in section
