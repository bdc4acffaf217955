"""The ports tests and benchmarks give a cluster: free, and outside the range the OS hands out to connections."""

from __future__ import annotations

import socket

from kefu.cluster import BROWSER_UNSAFE, ClusterPlan, ephemeral_ports, free_port_base, proxy_ports
from kefu.config import Settings


def test_a_cluster_on_loopback_gets_ports_no_outgoing_connection_can_take(tmp_path) -> None:
    base = free_port_base()
    plan = ClusterPlan.from_settings(Settings(data_dir=tmp_path, cluster_port_base=base, **proxy_ports(base)))
    ports = [plan.pg_port, plan.redis_port, plan.stats_port, *plan.ports("rasa"), *plan.ports("actions"),
             *plan.ports("console"), *proxy_ports(base).values()]
    assert len(set(ports)) == len(ports)
    assert not any(p in ephemeral_ports() or p in BROWSER_UNSAFE for p in ports)
    for port in ports:  # free now
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))


def test_a_taken_port_moves_the_base(tmp_path) -> None:
    base = free_port_base()
    with socket.socket() as s:
        s.bind(("127.0.0.1", base + 379))  # Redis's port, taken
        s.listen()
        assert all(free_port_base() != base for _ in range(20))


def test_no_base_puts_the_console_on_a_port_browsers_refuse() -> None:
    assert all(proxy_ports(free_port_base())["console_port"] != 10080 for _ in range(200))
