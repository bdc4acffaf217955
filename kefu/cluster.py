"""`make run-cluster`: Kefu on the engines a shop that outgrew one process needs, replicated, on one machine.

PostgreSQL, Redis and HAProxy come from Debian's packages (make installs them) and run on loopback with their data
under data/cluster/. Every Kefu server runs as several replicas behind HAProxy, which listens on the ports `make
run` uses (5005 Rasa, 5055 actions, 8000 console):

- Rasa (KEFU_RASA_REPLICAS, default 2): Rasa's SQL tracker store on PostgreSQL, Redis ticket locks
  (bot/lock_store.py), socket.io's messages through Redis (an agent's reply reaches a socket another replica holds),
  WeChat's retries and numbered choices in Redis (bot/shared_state.py);
- the action server (KEFU_ACTION_REPLICAS, default 2) and the console (KEFU_CONSOLE_REPLICAS, default 2): the
  knowledge base, the desk and the review queue on the same PostgreSQL; the published index in one folder that
  every action server watches.

HAProxy balances round robin and keeps a browser's socket.io session on one Rasa replica with a cookie (the polling
transport sends several requests per session); it checks each replica's health and stops sending to one that does
not answer. The supervisor of `make run` watches every process and restarts a dead one with backoff. With
KEFU_DATABASE_URL or KEFU_REDIS_URL set, that PostgreSQL or Redis is used instead of a local one.
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kefu.config import ROOT, Settings
from kefu.serve import Child, ServeError, Supervisor, ensure_first_user, on_stop_signals, watch_until_stopped

PG_DATABASE = "kefu"
PG_USER = "kefu"


def ephemeral_ports() -> range:
    """The ports the OS hands out for free-port requests and outgoing connections (Linux's default if unknown)."""
    try:
        low, high = (int(v) for v in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


# Where tests and benchmarks put the proxy's own ports, relative to the base (the usual 5005, 5055 and 8000 may be
# taken by a `make run` on the same machine).
PROXY_OFFSETS = {"rasa_port": 5, "action_port": 55, "console_port": 80}
# Ports browsers refuse to open (Chromium's restricted list above 1024: ERR_UNSAFE_PORT), so the browser tests could
# not reach a console there.
BROWSER_UNSAFE = {1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669,
                  6679, 6697, 10080}


def free_port_base(replicas: int = 2) -> int:
    """A KEFU_CLUSTER_PORT_BASE for tests and benchmarks, with the proxy on `proxy_ports(base)`: every port the
    cluster would open is free now and outside the OS's ephemeral range, where an outgoing connection made while
    the cluster starts (to PostgreSQL, to Redis) could take it first."""
    ephemeral = ephemeral_ports()
    # PostgreSQL, Redis, HAProxy's page (as ClusterPlan places them), each server's replicas, and the proxy.
    offsets = [432, 379, 936, *(kind + i for kind in (100, 200, 300) for i in range(1, replicas + 1)),
               *PROXY_OFFSETS.values()]
    bases = [b * 1000 for b in range(2, 65)
             if not any((b * 1000 + o) in ephemeral or (b * 1000 + o) in BROWSER_UNSAFE for o in offsets)]
    random.shuffle(bases)
    for base in bases:
        if not any(tcp_open(base + o) for o in offsets):
            return base
    raise ServeError("no free range of ports for a cluster on this machine")


def proxy_ports(base: int) -> dict[str, int]:
    """The proxy's ports for a base from free_port_base, as Settings fields."""
    return {name: base + offset for name, offset in PROXY_OFFSETS.items()}


def tcp_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on the port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def redis_answers(port: int) -> bool:
    """Whether Redis answers PING on the port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def postgres_bin(name: str) -> str:
    """A PostgreSQL server program (Debian keeps them under /usr/lib/postgresql/VERSION/bin), newest version."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise ServeError(f"PostgreSQL's {name} is not installed: `make run-cluster` installs Debian's postgresql")


def program(name: str, package: str) -> str:
    """The path of an installed program, or a ServeError that names the Debian package."""
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()),
                                      None)
    if path is None:
        raise ServeError(f"{name} is not installed: `make run-cluster` installs Debian's {package}")
    return path


@dataclass
class ClusterPlan:
    """Where everything of the cluster lives: ports, folders, replica counts."""

    base: Settings  # the configuration as given (.env, KEFU_*)
    folder: Path
    port_base: int
    rasa_replicas: int
    action_replicas: int
    console_replicas: int
    pg_password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> ClusterPlan:
        """The plan for these settings: data under data_dir/cluster, ports from KEFU_CLUSTER_PORT_BASE."""
        folder = settings.data_path / "cluster"
        folder.mkdir(parents=True, exist_ok=True)
        return cls(settings, folder, settings.cluster_port_base, settings.rasa_replicas, settings.action_replicas,
                   settings.console_replicas)

    @property
    def pg_port(self) -> int:
        """PostgreSQL's port."""
        return self.port_base + 432

    @property
    def redis_port(self) -> int:
        """Redis's port."""
        return self.port_base + 379

    @property
    def stats_port(self) -> int:
        """HAProxy's status page."""
        return self.port_base + 936

    def ports(self, kind: str) -> list[int]:
        """The replicas' own ports (the proxy listens on the usual ones)."""
        offset, count = {"rasa": (100, self.rasa_replicas), "actions": (200, self.action_replicas),
                         "console": (300, self.console_replicas)}[kind]
        return [self.port_base + offset + i for i in range(1, count + 1)]

    @property
    def local_postgres(self) -> bool:
        """Whether the cluster starts its own PostgreSQL (no KEFU_DATABASE_URL)."""
        return not self.base.database_url

    @property
    def local_redis(self) -> bool:
        """Whether the cluster starts its own Redis (no KEFU_REDIS_URL)."""
        return not self.base.redis_url

    def settings(self) -> Settings:
        """What every replica is configured with: PostgreSQL, Redis, the cluster's data folder and index."""
        database_url = self.base.database_url or (
            f"postgresql://{PG_USER}:{self.pg_password}@127.0.0.1:{self.pg_port}/{PG_DATABASE}")
        return self.base.model_copy(update={
            "data_dir": self.folder,
            "database_url": database_url,
            "kb_database_url": self.base.kb_database_url or database_url,
            "kb_index_dir": self.base.kb_index_dir or self.folder / "index",
            "redis_url": self.base.redis_url or f"redis://127.0.0.1:{self.redis_port}/0",
        })


# -- PostgreSQL and Redis ---------------------------------------------------------------------------------------
def _pg_user() -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ServeError("running as root needs the `postgres` user that Debian's postgresql creates") from exc
    return "postgres"


def prepare_postgres(plan: ClusterPlan) -> None:
    """Create the database cluster under data/cluster/postgres once, with a generated password for `kefu`."""
    data = plan.folder / "postgres"
    password_file = plan.folder / "postgres.password"
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(18) + "\n")
        password_file.chmod(0o600)
    plan.pg_password = password_file.read_text().strip()
    if (data / "PG_VERSION").exists():
        return
    user = _pg_user()
    data.mkdir(parents=True, exist_ok=True)
    pwfile = plan.folder / ".initdb-password"
    pwfile.write_text(plan.pg_password + "\n")
    if user:
        entry = pwd.getpwnam(user)
        for path in (data, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    pwfile.chmod(0o600)
    if user and subprocess.run(["test", "-r", str(pwfile)], user=user, group=user, cwd="/").returncode != 0:
        pwfile.unlink(missing_ok=True)
        raise ServeError(f"PostgreSQL runs as the `{user}` user, which cannot reach {plan.folder}: let others "
                         "enter its parent folders (chmod o+x), or set KEFU_DATA_DIR to a folder it can reach")
    try:
        subprocess.run(
            [postgres_bin("initdb"), "-D", str(data), "-U", PG_USER, f"--pwfile={pwfile}", "--auth=scram-sha-256",
             "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True, user=user, group=user, cwd="/")
    except subprocess.CalledProcessError as exc:
        raise ServeError(f"initdb failed: {exc.stderr.decode(errors='replace')[-800:]}") from exc
    finally:
        pwfile.unlink(missing_ok=True)


def postgres_child(plan: ClusterPlan, logs: Path) -> Child:
    """PostgreSQL on loopback: enough connections for every replica's pool."""
    data = plan.folder / "postgres"
    return Child(
        name="postgres",
        argv=[postgres_bin("postgres"), "-D", str(data), "-p", str(plan.pg_port), "-c", "listen_addresses=127.0.0.1",
              "-c", f"unix_socket_directories={data}", "-c", "max_connections=300", "-c", "shared_buffers=256MB"],
        env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
        ready_url="",
        ready=lambda: tcp_open(plan.pg_port),
        log_path=logs / "postgres.log",
        user=_pg_user(),
        stop_signal=signal.SIGINT,
    )


def create_database(plan: ClusterPlan) -> None:
    """Create the `kefu` database once (its tables come from Rasa and the Alembic migrations)."""
    env = {**os.environ, "PGPASSWORD": plan.pg_password}
    args = ["-h", "127.0.0.1", "-p", str(plan.pg_port), "-U", PG_USER]
    exists = subprocess.run(
        [postgres_bin("psql"), *args, "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = "
         f"'{PG_DATABASE}'"], env=env, capture_output=True, text=True)
    if exists.returncode != 0:
        raise ServeError(f"PostgreSQL does not answer: {exists.stderr.strip()}")
    if exists.stdout.strip() != "1":
        subprocess.run([postgres_bin("createdb"), *args, PG_DATABASE], env=env, check=True, capture_output=True)


def redis_child(plan: ClusterPlan, logs: Path) -> Child:
    """Redis on loopback, appending to a file (a restart keeps WeChat's seen message ids)."""
    folder = plan.folder / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    return Child(
        name="redis",
        argv=[program("redis-server", "redis-server"), "--port", str(plan.redis_port), "--bind", "127.0.0.1",
              "--dir", str(folder), "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
        env={"PATH": os.environ.get("PATH", "")},
        ready_url="",
        ready=lambda: redis_answers(plan.redis_port),
        log_path=logs / "redis.log",
    )


# -- Kefu's servers and the proxy -------------------------------------------------------------------------------
def replica_children(plan: ClusterPlan, settings: Settings, logs: Path) -> list[Child]:
    """Every replica of the action server, the console and Rasa, each on its own port."""
    app_python = sys.executable
    rasa_python = str(settings.path(settings.rasa_venv) / "bin" / "python")
    model = settings.path(settings.rasa_model)
    if not model.exists():
        raise ServeError(f"No trained Rasa model at {model}: run `make train` first.")
    host = settings.host
    children: list[Child] = []
    for number, port in enumerate(plan.ports("actions"), 1):
        children.append(Child(
            name=f"actions-{number}",
            argv=[app_python, "-m", "actions.server", "--actions", "actions", "--port", str(port)],
            env=settings.app_env(), ready_url=f"http://{host}:{port}/kb/health",
            log_path=logs / f"actions-{number}.log"))
    for number, port in enumerate(plan.ports("console"), 1):
        children.append(Child(
            name=f"console-{number}",
            argv=[app_python, "-m", "console", "serve", "--port", str(port)],
            env=settings.app_env(), ready_url=f"http://{host}:{port}/health",
            log_path=logs / f"console-{number}.log"))
    # The NLU workers share the machine's cores between the Rasa replicas.
    nlu_workers = str(max(1, settings.nlu_workers // max(1, plan.rasa_replicas)))
    for number, port in enumerate(plan.ports("rasa"), 1):
        children.append(Child(
            name=f"rasa-{number}",
            argv=[rasa_python, "-m", "bot.server", "run", "--model", str(model), "--endpoints", "endpoints.yml",
                  "--credentials", "credentials.yml", "--interface", host, "--port", str(port), "--enable-api",
                  f"--auth-token={settings.auth_token()}", "--cors", "*",
                  "--log-file", str(logs / f"rasa-{number}-debug.log")],
            env={**settings.rasa_env(), "KEFU_NLU_WORKERS": nlu_workers},
            ready_url=f"http://{host}:{port}/webhooks/rest/", log_path=logs / f"rasa-{number}.log"))
    return children


def haproxy_config(plan: ClusterPlan, settings: Settings) -> str:
    """HAProxy in front of each kind of replica, on the ports `make run` uses."""
    host = settings.host

    def backend(name: str, kind: str, check: str, sticky: bool) -> str:
        lines = [f"backend {name}", "    balance roundrobin", f"    option httpchk GET {check}",
                 "    default-server inter 1s fall 2 rise 1"]
        if kind == "actions":
            # A call that reached an action server as it died comes back empty: ask another (Rasa's calls and the
            # KB signal are safe to repeat; a Rasa or console request is the customer's or agent's to resend).
            lines.append("    retry-on conn-failure empty-response")
        if sticky:
            # A browser's socket.io session stays on the replica that holds it (the polling transport sends a
            # request at a time, each of which must reach the same process).
            lines.append(f"    cookie KEFU_{name.upper()} insert indirect nocache httponly")
        for number, port in enumerate(plan.ports(kind), 1):
            lines.append(f"    server {name}{number} {host}:{port} check" + (f" cookie r{number}" if sticky else ""))
        return "\n".join(lines)

    return "\n".join([
        "# Written by `python -m kefu cluster` (make run-cluster) at each start: edit kefu/cluster.py instead.",
        "global", "    maxconn 4000", "",
        # A new server connection per request (http-reuse never): a request sent on a kept-alive connection to a
        # replica that just died comes back "incomplete" and is not retried (it may have been handled), while a
        # refused new connection is retried on another replica (redispatch on every retry).
        "defaults", "    mode http", "    option http-server-close", "    http-reuse never", "    option redispatch 1",
        "    retries 2",
        "    timeout connect 5s", "    timeout client 120s", "    timeout server 120s", "    timeout tunnel 1h",
        "    timeout http-request 30s", "",
        f"frontend rasa\n    bind {host}:{settings.rasa_port}\n    default_backend rasa", "",
        backend("rasa", "rasa", "/webhooks/rest/", sticky=True), "",
        f"frontend actions\n    bind {host}:{settings.action_port}\n    default_backend actions", "",
        backend("actions", "actions", "/kb/health", sticky=False), "",
        f"frontend console\n    bind {host}:{settings.console_port}\n    default_backend console", "",
        backend("console", "console", "/health", sticky=True), "",
        f"frontend stats\n    bind {host}:{plan.stats_port}\n    stats enable\n    stats uri /\n"
        "    monitor-uri /health", "",
    ])


def haproxy_child(plan: ClusterPlan, settings: Settings, logs: Path) -> Child:
    """HAProxy in the foreground with the generated configuration."""
    config = plan.folder / "haproxy.cfg"
    config.write_text(haproxy_config(plan, settings), encoding="utf-8")
    return Child(
        name="haproxy",
        argv=[program("haproxy", "haproxy"), "-db", "-f", str(config)],
        env={"PATH": os.environ.get("PATH", "")},
        ready_url=f"http://{settings.host}:{plan.stats_port}/health",
        log_path=logs / "haproxy.log",
    )


# -- set-up and the serve loop ----------------------------------------------------------------------------------
def prepare_data(settings: Settings) -> None:
    """The desk's and the knowledge base's tables on PostgreSQL, the demo FAQ and the index: once, before any
    replica starts (several replicas running the same migration at once would race)."""
    from desk.db import upgrade_schema as upgrade_desk

    upgrade_desk(settings.desk_url)
    env = {**settings.app_env(), "KB_DATABASE_URL": settings.kb_url, "KB_INDEX_DIR": str(settings.kb_index_path)}
    done = subprocess.run([sys.executable, "-m", "knowledge_base", "bootstrap"], cwd=ROOT, env=env)
    if done.returncode != 0:
        raise ServeError("loading the knowledge base into PostgreSQL failed (see above)")


@dataclass
class Cluster:
    """The infrastructure (PostgreSQL, Redis) and the servers (replicas, proxy) under two supervisors."""

    plan: ClusterPlan
    settings: Settings
    infra: Supervisor
    servers: Supervisor | None = None

    @classmethod
    def create(cls, base: Settings, echo: bool = False) -> Cluster:
        """The cluster for these settings (nothing started yet)."""
        plan = ClusterPlan.from_settings(base)
        logs = plan.folder / "logs"
        infra: list[Child] = []
        if plan.local_postgres:
            prepare_postgres(plan)
            infra.append(postgres_child(plan, logs))
        if plan.local_redis:
            infra.append(redis_child(plan, logs))
        settings = plan.settings()
        return cls(plan, settings, Supervisor(settings, echo=echo, children=infra))

    def start(self, cancel: threading.Event | None = None, progress: bool = False) -> float:
        """PostgreSQL and Redis, the schema and the demo data, then every replica and the proxy."""
        started = time.monotonic()
        self.infra.start(cancel, progress)
        if self.plan.local_postgres:
            create_database(self.plan)
        prepare_data(self.settings)
        ensure_first_user(self.settings)
        logs = self.plan.folder / "logs"
        children = replica_children(self.plan, self.settings, logs)
        children.append(haproxy_child(self.plan, self.settings, logs))
        self.servers = Supervisor(self.settings, echo=self.infra.echo, children=children)
        self.servers.start(cancel, progress)
        return time.monotonic() - started

    def watch(self) -> list[str]:
        """Restart what died (PostgreSQL and Redis too); what happened, a line each."""
        return self.infra.watch() + (self.servers.watch() if self.servers else [])

    def stop(self) -> None:
        """The proxy and the replicas, then Redis and PostgreSQL."""
        if self.servers is not None:
            self.servers.stop()
        self.infra.stop()

    def children(self) -> list[Child]:
        """Every supervised process."""
        return self.infra.children + (self.servers.children if self.servers else [])


def banner(cluster: Cluster, seconds: float) -> str:
    """Where to reach the cluster, and what runs."""
    s, plan = cluster.settings, cluster.plan
    kinds = f"{plan.rasa_replicas} Rasa, {plan.action_replicas} action servers, {plan.console_replicas} consoles"
    database = f"PostgreSQL on 127.0.0.1:{plan.pg_port}" if plan.local_postgres else "PostgreSQL (KEFU_DATABASE_URL)"
    redis = f"Redis on 127.0.0.1:{plan.redis_port}" if plan.local_redis else "Redis (KEFU_REDIS_URL)"
    return f"""
Kefu's cluster is up ({seconds:.0f} s): {kinds} behind HAProxy; {database}; {redis}.
  chat       {s.console_url}/chat      agent desk {s.console_url}/desk      ops {s.console_url}/ops
  sign in    as admin, with the password in {s.data_path / "console_admin_password"} (a user of the cluster's own)
  REST       POST {s.rasa_url}/webhooks/rest/webhook   socket.io {s.rasa_url}/socket.io
  proxy      http://{s.host}:{plan.stats_port}/   (HAProxy's page: each replica's state)
  logs       {plan.folder / "logs"}
Press Ctrl-C to stop."""


def serve_cluster(base: Settings) -> int:
    """Run the cluster until Ctrl-C (or SIGTERM), restarting what dies; return the process exit code."""
    stopping = on_stop_signals()
    try:
        cluster = Cluster.create(base, echo=os.environ.get("KEFU_VERBOSE") == "1")
    except ServeError as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"▸ cluster  logs in {cluster.plan.folder / 'logs'}", flush=True)
        seconds = cluster.start(stopping, progress=True)
        print(banner(cluster, seconds), flush=True)
        watch_until_stopped(stopping, cluster.watch, cluster.plan.folder / "logs" / "supervisor.log")
        return 0
    except ServeError as exc:
        print(f"kefu: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        cluster.stop()
