"""One command-line contract: ``python -m folio`` and every ``invoke`` task exit alike.

0 on success, 1 for a problem with the report, 70 for a bug (its traceback and a note),
130 for Ctrl-C and 143 for SIGTERM, without a traceback. The signal is sent by the build
itself, from a hook on its first rename into build/: a moment the build surely runs, on any
machine, without a delay.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from folio.cli import _with_command
from helpers import PYTHON, REPO, run_cli, small_project

#: Run folio through ENTRY ("module": python -m folio; "invoke": the invoke program) on a
#: project; at its first rename into build/ the hook sends SIGNAL to the process, or raises
#: RuntimeError (a bug) when SIGNAL is "bug".
HOOKED = """
import os, runpy, signal, sys
from pathlib import Path
entry, what, project = sys.argv[1:4]
# As in a terminal: a shell's background job (a CI step, say) starts with SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
out = Path(project).resolve() / "build"
real_replace = os.replace

def replace(src, dst):
    if Path(dst).parent == out:
        if what == "bug":
            raise RuntimeError("oops")
        os.kill(os.getpid(), getattr(signal, what))
    return real_replace(src, dst)

os.replace = replace
if entry == "module":
    sys.argv = ["folio", "--project", project, "--quiet"]
    runpy.run_module("folio", run_name="__main__")
else:
    from invoke.main import program
    program.run(["invoke", "build", "--project", project, "--quiet"])
"""
EXIT = {"SIGINT": 130, "SIGTERM": 143}
NOTE = "folio: interrupted; the editions of the last good build are unchanged\n"


def hooked(entry: str, what: str, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-c", HOOKED, entry, what, str(root)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


#: Each case is a build in a subprocess: the fast lane keeps the one that was broken (invoke
#: on SIGTERM); test_kill.py sends both signals to folio.cli.main at six moments.
SLOW = pytest.mark.slow


@pytest.mark.parametrize("entry, signal", [
    ("invoke", "SIGTERM"), pytest.param("invoke", "SIGINT", marks=SLOW),
    pytest.param("module", "SIGTERM", marks=SLOW), pytest.param("module", "SIGINT", marks=SLOW)])
def test_a_signal_stops_either_entry_point_with_its_code_and_no_traceback(tmp_path, entry, signal):
    root = small_project(tmp_path / "small")
    proc = hooked(entry, signal, root)
    assert proc.returncode == EXIT[signal], proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr == NOTE
    assert not list((root / "build").glob("*.pdf"))  # stopped before any edition was in place


@pytest.mark.parametrize("entry", [pytest.param("invoke", marks=SLOW), pytest.param("module", marks=SLOW)])
def test_a_bug_exits_70_with_its_traceback_and_the_note(tmp_path, entry):
    root = small_project(tmp_path / "small")
    proc = hooked(entry, "bug", root)
    assert proc.returncode == 70, proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr
    assert "RuntimeError: oops" in proc.stderr
    assert proc.stderr.endswith("This is a bug in folio, not a problem with your report;"
                                " please report it with the traceback above.\n")


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0, proc.stderr
    version = next(line.split('"')[1] for line in (REPO / "pyproject.toml").read_text("utf-8").splitlines()
                   if line.startswith("version = "))
    assert proc.stdout == f"folio {version}\n"


@pytest.mark.parametrize("argv, expected", [
    ([], ["build"]),
    (["pdf", "print"], ["build", "pdf", "print"]),
    (["--project", "stats", "html"], ["build", "--project", "stats", "html"]),  # a folder named stats
    (["--project", "x", "stats"], ["stats", "--project", "x"]),
    (["--quiet", "diff", "HEAD~1"], ["diff", "--quiet", "HEAD~1"]),
    (["--version"], ["--version"]),
    (["-h"], ["-h"]),
])
def test_without_a_command_folio_builds(argv, expected):
    assert _with_command(argv) == expected


def test_every_command_has_help():
    proc = run_cli("--help")
    assert proc.returncode == 0, proc.stderr
    for command in ("build", "proof", "clean", "verify", "release", "check", "serve", "diff", "stats"):
        assert f"    {command} " in proc.stdout, command
