"""`make run`'s port check: a listener blocks a start, the last run's closed connections do not."""

from __future__ import annotations

import socket

from tools.broker import free_port
from tools.stack import _port_free


def test_a_port_with_a_listener_is_busy():
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert not _port_free(server.getsockname()[1])


def test_connections_of_a_stopped_server_in_time_wait_do_not_block_a_restart():
    port = free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end of the connection enters TIME_WAIT
    client.recv(1)
    client.close()
    server.close()
    assert _port_free(port)
