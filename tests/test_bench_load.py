"""How bench/load.py reads wrk's report and the kernel's TCP table, and whose errors are whose."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from callback import Run, wrk_figures
from load import attributed_to_kill, tcp_table

#: What wrk 4.1 printed against a server that closed every 7th request unanswered, answered
#: every 11th after 1.5 s (``--timeout 1s``) and every 5th with 404.
WRK_REPORT = """\
Running 3s test @ http://127.0.0.1:18777/wechat
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   473.42us    2.03ms  13.27ms   97.46%
    Req/Sec   142.17    174.60   393.00     66.67%
  Latency Distribution
     50%  122.00us
     75%  213.00us
     90%  356.00us
     99%   13.26ms
  252 requests in 3.04s, 10.19KB read
  Socket errors: connect 0, read 43, write 0, timeout 16
  Non-2xx or 3xx responses: 50
Requests/sec:     82.77
Transfer/sec:      3.35KB
"""


def test_wrk_errors_are_read_by_type() -> None:
    run = wrk_figures(WRK_REPORT)
    assert (run.non2xx, run.connect, run.read, run.write, run.timeout) == (50, 0, 43, 0, 16)
    assert run.errors == 109
    assert (run.requests, run.rps, run.p50_ms, run.p99_ms) == (252, 82.77, 0.122, 13.26)


@pytest.mark.parametrize(
    ("errors", "killed", "attributed", "beyond"),
    [
        ({"read": 15}, 15, 15, 0),
        ({"read": 12, "write": 3}, 15, 15, 0),
        ({"read": 16}, 15, 15, 1),  # one connection more failed than the worker held
        ({"read": 9, "connect": 1}, 15, 10, 0),  # the rest were in the listen queue
        ({"read": 15, "non2xx": 2}, 15, 15, 2),  # a refusal is never the kill's
        ({"read": 15, "timeout": 3}, 15, 15, 3),  # nor a reply after 5 s
        ({"read": 4}, 0, 0, 4),  # no kill: every error is beyond
    ],
)
def test_only_cut_connections_are_the_kills(
    errors: dict[str, int], killed: int, attributed: int, beyond: int
) -> None:
    run = Run(requests=1000, rps=100.0, p50_ms=1.0, p99_ms=2.0, **errors)
    assert attributed_to_kill(run, killed) == attributed
    assert run.errors - attributed_to_kill(run, killed) == beyond


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="Linux's /proc/net/tcp")
def test_a_loopback_connection_is_found_by_its_sockets_inodes() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            served, _ = listener.accept()
            with served:
                rows = {c.inode: c for c in tcp_table(Path("/proc/net/tcp").read_text())}
                client_port = client.getsockname()[1]
                ours = rows[os.fstat(client.fileno()).st_ino]
                theirs = rows[os.fstat(served.fileno()).st_ino]
                listening = rows[os.fstat(listener.fileno()).st_ino]
    assert (ours.local[1], ours.remote[1], ours.established) == (client_port, port, True)
    assert (theirs.local, theirs.remote, theirs.established) == (ours.remote, ours.local, True)
    assert (listening.local[1], listening.established) == (port, False)
