"""The toolkit's platform-specific calls, each behind one function with its fallback.

Every one is a speed-up, never a requirement. Where the call does not exist (macOS, Windows,
a libc other than glibc) or is refused (a sandbox, a container without the capability), the
function does nothing and returns False, and the toolkit gives the same results as with it.
`tests/test_oscalls.py` makes each call unavailable in turn and runs `brcd validate` and
`brcd build` so; `docs/performance.md` lists what each one gains and how it was measured, and
the ones dropped for gaining less than 5% at a million rows (a per-thread `setpriority` in the
SQLite build, a forked child for the descriptor check).
"""

from __future__ import annotations

import socket
import sys

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def keep_freed_memory(mmap_threshold: int = 512 << 20, trim_threshold: int = 1 << 30) -> bool:
    """glibc only: serve allocations up to `mmap_threshold` from the heap and keep up to
    `trim_threshold` of freed heap, so a one-shot command that allocates and frees big buffers
    over and over (validate's 48 MiB slices) reuses pages instead of mapping fresh ones each
    time. Process-wide: call it from a command, never from a library function."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, a sandbox without it)
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_TRIM_THRESHOLD, trim_threshold))


def tcp_nodelay(sock: socket.socket | None) -> bool:
    """Send small writes at once on a TCP socket (no Nagle delay). False for anything else."""
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6) or not hasattr(socket, "TCP_NODELAY"):
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        return False
    return True
