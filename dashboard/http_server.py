"""`shequ serve`'s HTTP server: waitress, with the bounds it lacks in front of no proxy.

Waitress 3.0.2 reads a chunked request body's size line with no bound on its length: a line without CRLF is
joined to each new packet and searched again (waitress/receiver.py, ChunkedReceiver.received), in time that grows
with the square of its size, in the server's one I/O thread, before the app sees anything. A 16 MB line cost
16.8 s of CPU and a 300 MB one about 12 minutes (issue 14), and waitress takes bodies of up to 1 GB.

Here a size line or a trailer longer than any real client sends ends the request with 400 at once (browsers never
send chunked requests at all; curl's size lines are a few bytes), and a body is limited to what the app accepts
(dashboard/app.py max_request_bytes), so a stranger's request costs linear time and bounded space. Behind nginx
(deploy/) the proxy reads and bounds bodies itself.
"""
from __future__ import annotations

import flask
import waitress.parser
from waitress.receiver import ChunkedReceiver
from waitress.utilities import BadRequest

# RFC 9112 sets no limit; a size line is a few hex digits and perhaps an extension.
MAX_CHUNK_LINE_BYTES = 4096
MAX_TRAILER_BYTES = 65536
# The Server header: which server and version answers is nobody's business (waitress says "waitress").
SERVER_NAME = "shequ"


class BoundedChunkedReceiver(ChunkedReceiver):
    """Waitress's chunked-body reader, refusing a size line or trailer past its bound before joining more to it."""

    def received(self, s: bytes) -> int:
        consumed = super().received(s)
        if len(self.control_line) > MAX_CHUNK_LINE_BYTES or len(self.trailer) > MAX_TRAILER_BYTES:
            self.error = BadRequest("Chunk size line or trailer too long")
            self.all_chunks_received = True
            self.control_line = self.trailer = b""
        return consumed


def install_bounds() -> None:
    """Make waitress's request parser read chunked bodies with the bounded reader (it names the class at use)."""
    if not hasattr(waitress.parser, "ChunkedReceiver"):       # a waitress that reads bodies otherwise: look again
        raise RuntimeError("waitress.parser.ChunkedReceiver is gone: check dashboard/http_server.py's bound")
    waitress.parser.ChunkedReceiver = BoundedChunkedReceiver


def serve(server: flask.Flask, host: str, port: int, threads: int, max_body_bytes: int) -> None:
    """Serve with waitress, bounded: chunk lines, trailers and bodies; no version in the Server header."""
    from waitress import serve as waitress_serve
    install_bounds()
    waitress_serve(server, host=host, port=port, threads=threads, ident=SERVER_NAME,
                   max_request_body_size=max_body_bytes)
