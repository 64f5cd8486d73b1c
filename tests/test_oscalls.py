"""The platform-specific calls (`brcd.oscalls`) are speed-ups, never requirements: each one,
made unavailable as it is on macOS, Windows or musl, falls back to doing nothing, and
`brcd validate` and `brcd build` give the same results without any of them (nor fork,
setpriority or the POSIX-only modules). Only oscalls.py makes such calls."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

from brcd import oscalls
from unavailable import PLATFORM_CALLS, run

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "validate"
LINUX = sys.platform.startswith("linux")


@pytest.fixture(params=["darwin", "win32"])
def elsewhere(request, monkeypatch) -> str:
    monkeypatch.setattr(sys, "platform", request.param)
    return request.param


# --- mallopt ------------------------------------------------------------------------------------

def test_keep_freed_memory_does_nothing_on_other_systems(elsewhere, monkeypatch) -> None:
    def never(*args, **kwargs):
        raise AssertionError("ctypes.CDLL called on " + elsewhere)

    monkeypatch.setattr(ctypes, "CDLL", never)
    assert oscalls.keep_freed_memory() is False


@pytest.mark.parametrize("missing", ["no libc.so.6", "no mallopt in it"])
def test_keep_freed_memory_without_glibc(monkeypatch, missing: str) -> None:
    monkeypatch.setattr(sys, "platform", "linux")

    class NoMallopt:
        def __init__(self, name, *args, **kwargs):
            if missing == "no libc.so.6":
                raise OSError(f"{name}: cannot open shared object file")

        def __getattr__(self, name):
            raise AttributeError(name)

    monkeypatch.setattr(ctypes, "CDLL", NoMallopt)
    assert oscalls.keep_freed_memory() is False


@pytest.mark.skipif(not LINUX, reason="glibc only")
def test_keep_freed_memory_takes_effect_on_glibc() -> None:
    try:
        ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        pytest.skip("this Linux has no glibc")
    assert oscalls.keep_freed_memory() is True


# --- TCP_NODELAY ---------------------------------------------------------------------------------

def test_tcp_nodelay_on_a_tcp_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        assert oscalls.tcp_nodelay(sock) is True
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_tcp_nodelay_falls_back_for_anything_else(monkeypatch) -> None:
    assert oscalls.tcp_nodelay(None) is False
    if hasattr(socket, "AF_UNIX"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            assert oscalls.tcp_nodelay(sock) is False
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.close()
    assert oscalls.tcp_nodelay(closed) is False  # setsockopt fails
    monkeypatch.delattr(socket, "TCP_NODELAY")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        assert oscalls.tcp_nodelay(sock) is False


# --- the commands, with every call unavailable ---------------------------------------------------

def package_with_defects(dest: Path) -> Path:
    """The base fixture with a descriptor that breaks the profile and a duplicated primary key."""
    shutil.copytree(FIXTURES / "base", dest)
    for defect in ("descriptor-profile-error", "duplicate-primary-key"):
        for src in (FIXTURES / defect).rglob("*"):
            if src.is_file() and src.name != "expected.json":
                target = dest / src.relative_to(FIXTURES / defect)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
    return dest


def test_validate_reports_the_same_without_any_platform_call(tmp_path: Path) -> None:
    """What `pip install` then `brcd validate` does on macOS or Windows: no mallopt, fork or
    setpriority, no fcntl, resource, pwd, grp or termios."""
    pkg = package_with_defects(tmp_path / "pkg")
    normal = run(["validate", str(pkg), "--format", "json", "--max-errors", "0"])
    without = run(["validate", str(pkg), "--format", "json", "--max-errors", "0"], PLATFORM_CALLS)
    assert without.returncode == normal.returncode == 1, without.stderr
    report = json.loads(without.stdout)
    assert report == json.loads(normal.stdout)
    assert {e["code"] for e in report["errors"]} >= {"package-error", "primary-key"}


def test_build_writes_the_same_sqlite_without_any_platform_call(tmp_path: Path) -> None:
    pkg = shutil.copytree(FIXTURES / "base", tmp_path / "pkg")
    for name, off in (("with", ()), ("without", PLATFORM_CALLS)):
        out = run(["build", str(pkg), "--out", str(tmp_path / name)], off)
        assert out.returncode == 0, out.stderr
    assert (tmp_path / "with" / "brcd.sqlite").read_bytes() == (tmp_path / "without" / "brcd.sqlite").read_bytes()


PLATFORM_ATTRIBUTES = {"mallopt", "setpriority", "fork", "TCP_NODELAY", "CDLL", "sched_setaffinity", "nice"}
PLATFORM_MODULES = {"ctypes", "fcntl", "resource", "pwd", "grp", "termios", "msvcrt", "winreg"}


def test_only_oscalls_makes_platform_specific_calls() -> None:
    """Those calls are made in brcd/oscalls.py and nowhere else in the toolkit (read from the
    code's syntax tree, so words in docstrings do not count)."""
    import ast

    for path in sorted((REPO / "scripts" / "brcd").rglob("*.py")):
        if path.name == "oscalls.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Attribute):
                assert node.attr not in PLATFORM_ATTRIBUTES, f"{where} uses .{node.attr}: go through brcd.oscalls"
            elif isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
                assert not names & PLATFORM_MODULES, f"{where} imports {names & PLATFORM_MODULES}"
            elif isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] not in PLATFORM_MODULES, f"{where} imports {node.module}"
            elif isinstance(node, ast.Constant) and node.value == "fork":
                raise AssertionError(f"{where} asks for the fork start method (macOS and Windows lack it)")


def test_the_serve_protocol_sets_nodelay_on_each_connection() -> None:
    """`brcd serve` runs uvicorn with brcd.site.nodelay:H11NoDelay; its connection_made must
    still fit uvicorn's protocol (a uvicorn upgrade that breaks it fails here)."""
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from brcd.site.nodelay import H11NoDelay

    async def app(scope, receive, send):  # pragma: no cover - never called
        pass

    config = Config(app=app)
    config.load()

    class Transport:
        def __init__(self, sock):
            self.sock = sock

        def get_extra_info(self, name, default=None):
            return {"socket": self.sock, "peername": ("127.0.0.1", 5000),
                    "sockname": ("127.0.0.1", 8001)}.get(name, default)

        def is_closing(self):
            return False

    for family in (socket.AF_INET, socket.AF_UNIX):
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            protocol = H11NoDelay(config=config, server_state=ServerState(), app_state={})
            protocol.connection_made(Transport(sock))
            if family == socket.AF_INET:
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            assert protocol.transport is not None
            protocol.timeout_keep_alive_task = None
