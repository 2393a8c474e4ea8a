"""Serving the demo page on one address: the port checked before the model loads, nothing shared."""
from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any

from .page import build_page, import_gradio, theme
from .session import StitchDemo


def check_port(host: str, port: int) -> None:
    """A ValueError in one line when ``host:port`` cannot be served (in use, bad port, unknown host)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f'port: expected an int in [1, 65535], got {port!r}')
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ValueError(f'host: cannot resolve {host!r} ({error.strerror})') from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ValueError(f'port: {host}:{port} is in use; stop what serves it or choose another --port') \
                    from None
            raise ValueError(f'host: cannot listen on {host}:{port} ({error.strerror})') from None


def launch(demo: StitchDemo, *, host: str = '127.0.0.1', port: int = 7860, block: bool = True,
           quiet: bool = False) -> Any:
    """Serve ``demo`` at ``http://host:port`` (never through a share link); returns the Blocks.

    Args:
        demo: The loaded demo.
        host: Address to bind (127.0.0.1: this machine only).
        port: TCP port.
        block: Serve until interrupted; False returns while the server runs in a thread
            (``page.close()`` stops it).
        quiet: Do not print the address.
    """
    check_port(host, port)
    page = build_page(demo)
    allowed = sorted({str(Path(p).resolve().parent) for p in demo.examples})
    page.queue(default_concurrency_limit=1)
    page.launch(server_name=host, server_port=port, share=False, show_error=True, quiet=quiet,
                prevent_thread_lock=not block, allowed_paths=allowed, ssr_mode=False, mcp_server=False,
                pwa=False, enable_monitoring=False, theme=theme(import_gradio()))
    return page
