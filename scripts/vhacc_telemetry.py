# SPDX-License-Identifier: BSD-3-Clause
"""A client for vhacc's DPDK telemetry socket (Python 3 standard library only).

One connection per client; requests are serialized under a lock, because
DPDK 22.11's telemetry parser is not safe with concurrent clients.

    with VhaccTelemetry(prefix="vhacc") as t:
        reply = t.call("/vhacc/port/suspend", "vm1", 500)
"""

import json
import os
import socket
import threading

RUNTIME_DIRS = ("/var/run/dpdk", os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk"))


class TelemetryError(Exception):
    """The socket could not be reached or answered something unreadable;
    timed_out: no answer within the timeout (a change may still take effect)."""

    def __init__(self, message, timed_out=False):
        super().__init__(message)
        self.timed_out = timed_out


def socket_path(prefix):
    """The telemetry socket of the DPDK process started with --file-prefix prefix."""
    for d in RUNTIME_DIRS:
        path = os.path.join(d, prefix, "dpdk_telemetry.v2")
        if os.path.exists(path):
            return path
    raise TelemetryError("no telemetry socket for file prefix %r (looked in %s): is vhacc "
                         "running with --file-prefix %s?" % (prefix, ", ".join(RUNTIME_DIRS), prefix))


class VhaccTelemetry:
    def __init__(self, prefix="vhacc", path=None, timeout=5.0):
        self.path = path or socket_path(prefix)
        self.timeout = timeout
        self.lock = threading.Lock()
        self.sock = None
        self.max_len = 16384

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(self.timeout)
        try:
            s.connect(self.path)
            greeting = s.recv(1024)
        except OSError as e:
            s.close()
            raise TelemetryError("cannot connect to %s: %s" % (self.path, e),
                                 timed_out=isinstance(e, socket.timeout))
        try:
            hello = json.loads(greeting.decode())
        except ValueError:
            s.close()
            raise TelemetryError("%s closed the connection without a greeting (too many "
                                 "clients?)" % self.path)
        self.max_len = int(hello.get("max_output_len", self.max_len))
        self.sock = s
        return self

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self.connect() if self.sock is None else self

    def __exit__(self, *exc):
        self.close()

    def call(self, command, *params, timeout=None):
        """Send "command,param1,param2..." and return the reply's value (the
        dict or list under the command's name)."""
        line = ",".join([command] + [str(p) for p in params])
        with self.lock:
            if self.sock is None:
                self.connect()
            self.sock.settimeout(timeout if timeout is not None else self.timeout)
            try:
                self.sock.send(line.encode())
                raw = self.sock.recv(self.max_len)
            except OSError as e:
                self.close()
                raise TelemetryError("%s: %s" % (line, e), timed_out=isinstance(e, socket.timeout))
        if not raw:
            self.close()
            raise TelemetryError("%s: the connection was closed" % line)
        try:
            reply = json.loads(raw.decode())
        except ValueError as e:
            raise TelemetryError("%s: unreadable answer: %s" % (line, e))
        return reply.get(command, reply) if isinstance(reply, dict) else reply
