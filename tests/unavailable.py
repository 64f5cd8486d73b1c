"""Run `brcd` with platform-specific calls made unavailable, as on macOS, Windows or musl.

Each entry of `PRELUDES` is Python run before the command line, in the same process, that
takes one call away the way another platform lacks it (and `trick-off` entries switch off an
optimisation that is not a platform call). Shared by tests/test_oscalls.py and
tests/benchmarks/bench_oscalls.py, so what the tests prove works is what the benchmark times.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PRELUDES = {
    # glibc's mallopt: a C library without it (macOS's libSystem, Windows' CRT).
    "mallopt": "import ctypes\n"
               "class _NoMallopt(ctypes.CDLL):\n"
               "    def __getattr__(self, name):\n"
               "        if name == 'mallopt':\n"
               "            raise AttributeError(name)\n"
               "        return super().__getattr__(name)\n"
               "ctypes.CDLL = _NoMallopt\n",
    # os.setpriority: Windows has none.
    "setpriority": "import os\ndel os.setpriority\n",
    # os.fork: Windows has none (macOS has one, which brcd does not use).
    "fork": "import os\ndel os.fork\n",
    # TCP_NODELAY on each connection of `brcd serve`: uvicorn's plain h11 protocol instead.
    "nodelay": "import uvicorn\n"
               "_run = uvicorn.run\n"
               "def _plain_h11(*args, **kwargs):\n"
               "    kwargs['http'] = 'h11'\n"
               "    return _run(*args, **kwargs)\n"
               "uvicorn.run = _plain_h11\n",
    # the import hook that keeps pandas and hypothesis out of pandera's import thread
    "pandas-hook": "import brcd.validate as _v\n"
                   "_soon = _v._import_soon\n"
                   "_v._import_soon = lambda module, without=(), then=None: _soon(module, (), then)\n",
    # modules only POSIX systems have: brcd must not need them
    "posix-modules": "import sys\n"
                     "for _name in ('fcntl', 'resource', 'pwd', 'grp', 'termios', 'tty', 'pty'):\n"
                     "    sys.modules[_name] = None\n",
}
PLATFORM_CALLS = ("mallopt", "setpriority", "fork", "posix-modules")


def command(args: list[str], off: tuple[str, ...] = ()) -> list[str]:
    """argv that runs `brcd ARGS` with the calls named in `off` unavailable."""
    prelude = "".join(PRELUDES[name] for name in off)
    main = "import sys\nsys.argv = ['brcd', *sys.argv[1:]]\nfrom brcd.cli import main\nmain()\n"
    return [sys.executable, "-c", prelude + main, *args]


def run(args: list[str], off: tuple[str, ...] = (), cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command(args, off), capture_output=True, text=True, cwd=cwd)
