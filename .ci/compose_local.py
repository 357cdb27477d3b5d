"""Runs deploy/compose.yaml's services as local processes: the same binaries,
commands and environment, with only what a container network provides
rewritten (service host names and 0.0.0.0 listen addresses become free ports
on 127.0.0.1; the database URL names a fresh local MariaDB database). Then
checks that both edges answer /readyz with 200 and serve SCIM with a token.

usage: compose_local.py COMPOSE_FILE BIN_DIR OUT_DIR
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import yaml

WAIT = 60  # seconds, for every "until it answers" loop
ORDER = ["migrate", "core", "edge1", "edge2"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, token=None):
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def until(what, check):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def mariadb(server, sql):
    u = urllib.parse.urlparse(server)
    client = shutil.which("mariadb") or "mysql"  # Debian names both
    cmd = [client, f"-h{u.hostname}", f"-P{u.port or 3306}", f"-u{u.username or 'root'}", "-e", sql]
    if u.password:
        cmd.insert(1, f"-p{u.password}")
    subprocess.run(cmd, check=True, timeout=30)


def main():
    compose_file, bin_dir, out = sys.argv[1:4]
    with open(compose_file) as f:
        services = yaml.safe_load(f)["services"]
    server = os.environ.get("MYSQL_TEST_URL", "mysql://root@127.0.0.1:3306").rstrip("/")
    db = f"ci_deploy_{uuid.uuid4().hex[:12]}"
    mariadb(server, f"CREATE DATABASE `{db}`")

    # (service, container port) -> local address, for every 0.0.0.0 listener.
    addrs = {}
    for name in ORDER:
        for key, value in services[name].get("environment", {}).items():
            m = re.fullmatch(r"0\.0\.0\.0:(\d+)", str(value))
            if m:
                addrs[(name, m.group(1))] = f"127.0.0.1:{free_port()}"

    def local_env(name):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
        for key, value in services[name].get("environment", {}).items():
            value = str(value)
            if key == "IDENTITY_DATABASE_URL":
                value = f"{server}/{db}"
            m = re.fullmatch(r"0\.0\.0\.0:(\d+)", value)
            if m:
                value = addrs[(name, m.group(1))]
            for (svc, port), addr in addrs.items():
                value = value.replace(f"//{svc}:{port}", f"//{addr}")
            env[key] = value
        return env

    procs = []
    try:
        for name in ORDER:
            command = services[name]["command"]
            argv = [os.path.join(bin_dir, command[0])] + command[1:]
            env = local_env(name)
            log = open(os.path.join(out, f"{name}.log"), "w")
            print(f"[compose-local] {name}: {' '.join(command)}  env: {sorted(env)}", flush=True)
            if name == "migrate":
                done = subprocess.run(argv, env=env, stdout=log, stderr=log, timeout=WAIT)
                if done.returncode != 0:
                    raise SystemExit(f"migrate exited {done.returncode}")
                continue
            procs.append((name, subprocess.Popen(argv, env=env, stdout=log, stderr=log)))

        edges = [addrs[(n, "8080")] for n in ("edge1", "edge2")]
        for edge in edges:
            until(f"{edge}/readyz", lambda: http(f"http://{edge}/readyz")[0] == 200)
            assert http(f"http://{edge}/healthz")[0] == 200
        # A tenant, as an operator would make it beside the running core.
        core_env = local_env("core")
        made = subprocess.run(
            [os.path.join(bin_dir, "identity-core"), "tenant", "create", "ci"],
            env=core_env, capture_output=True, text=True, timeout=WAIT,
        )
        if made.returncode != 0:
            raise SystemExit(f"tenant create failed: {made.stderr}")
        token = made.stdout.strip().splitlines()[-1]
        for edge in edges:
            status, body = http(f"http://{edge}/scim/v2/Users?count=1", token)
            if status != 200 or json.loads(body).get("totalResults") != 0:
                raise SystemExit(f"{edge}: GET /Users answered {status}: {body}")
        for name in ("core", "edge1"):
            status, body = http(f"http://{addrs[(name, '9090')]}/metrics")
            if status != 200 or "_total" not in body:
                raise SystemExit(f"{name} metrics answered {status}")
        for name, proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited {proc.returncode}")
        print("[compose-local] both edges ready and serving SCIM; core and edge metrics answer", flush=True)
    finally:
        for name, proc in procs:
            proc.terminate()
        for name, proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        mariadb(server, f"DROP DATABASE IF EXISTS `{db}`")


if __name__ == "__main__":
    main()
