"""A stand-in for systemd's notification socket, for the behaviour tests.

Binds a unix datagram socket at argv[1] (a path, or @name for an abstract one), prints "listening",
then one JSON line per datagram: its text and CLOCK_MONOTONIC in microseconds when it arrived.
File descriptors passed along (systemd-notify's BARRIER=1) are closed at once, as systemd does, so
the sender is not kept waiting. Exits when its standard input closes, so it never outlives the test.
"""

import array
import json
import os
import select
import socket
import sys
import time

address = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("\0" + address[1:] if address.startswith("@") else address)
print("listening", flush=True)
fd_size = array.array("i").itemsize

while True:
    readable, _, _ = select.select([sock, sys.stdin], [], [])
    if sys.stdin in readable and not os.read(sys.stdin.fileno(), 4096):
        break
    if sock in readable:
        data, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(16 * fd_size))
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(payload[: len(payload) - len(payload) % fd_size])
                for fd in fds:
                    os.close(fd)
        arrived = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        print(json.dumps({"message": data.decode(), "monotonicUsec": arrived}), flush=True)
