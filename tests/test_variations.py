"""Byte-identical editions whatever differs between two builds, one source of variation at a time.

Each test builds the tiny report in a fresh folder (so the checkout's path
always differs too) with one thing changed from the baseline: the time zone,
the locale, the umask, the hash seed, the clock (faketime, 400 days ahead), and
compares every file of build/ with the baseline's. A regression names its cause.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from helpers import PYTHON, assemble_tiny, outputs

#: Seven builds, one of them of two clones of the real report; test_reproducible covers the
#: fast lane.
pytestmark = [pytest.mark.slow, pytest.mark.fresh_layout]

BASE_ENV = {"TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0"}


def build_with(tmp_path, name: str, env: dict[str, str], umask: str = "022",
               prefix: list[str] = ()) -> dict[str, bytes]:
    """Build the tiny report in tmp_path/name under the given environment and umask."""
    return run_build(assemble_tiny(tmp_path / name), env, umask, prefix)


def run_build(root, env: dict[str, str], umask: str = "022", prefix: list[str] = ()) -> dict[str, bytes]:
    """``python -m folio`` on ``root`` in a subprocess; every file of its build/."""
    full_env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    full_env.update(env)
    command = " ".join([*prefix, f"'{PYTHON}'", "-m", "folio", "--quiet", "--project", f"'{root}'"])
    proc = subprocess.run(["sh", "-c", f"umask {umask} && exec {command}"], env=full_env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return outputs(root)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return build_with(tmp_path_factory.mktemp("base"), "checkout-one", BASE_ENV)


def assert_same(baseline: dict[str, bytes], other: dict[str, bytes]) -> None:
    assert sorted(other) == sorted(baseline)
    differing = [rel for rel in baseline if baseline[rel] != other[rel]]
    assert differing == []


@pytest.mark.parametrize("change", [
    {"TZ": "Pacific/Kiritimati"},
    {"LANG": "fr_CA.UTF-8", "LC_ALL": "fr_CA.UTF-8"},
    {"PYTHONHASHSEED": "4242"},
], ids=["timezone", "locale", "hash-seed"])
def test_environment_does_not_change_the_bytes(baseline, tmp_path, change):
    assert_same(baseline, build_with(tmp_path, "another-checkout", {**BASE_ENV, **change}))


def test_umask_does_not_change_the_bytes_or_modes(baseline, tmp_path):
    assert_same(baseline, build_with(tmp_path, "checkout-077", BASE_ENV, umask="077"))
    pdf = next((tmp_path / "checkout-077" / "build").glob("*.pdf"))
    assert oct(pdf.stat().st_mode & 0o777) == "0o644"


def test_clock_400_days_ahead_does_not_change_the_bytes(baseline, tmp_path):
    faketime = shutil.which("faketime")
    assert faketime, "faketime is missing: scripts/setup installs it"
    assert_same(baseline, build_with(tmp_path, "later", BASE_ENV, prefix=[faketime, "-f", "'+400d'"]))


def test_everything_at_once(baseline, tmp_path):
    """The issue's pair of builds: every variation together, in a folder of another name."""
    change = {"TZ": "Pacific/Kiritimati", "LANG": "fr_CA.UTF-8", "LC_ALL": "fr_CA.UTF-8",
              "PYTHONHASHSEED": "77"}
    faketime = shutil.which("faketime")
    assert faketime, "faketime is missing: scripts/setup installs it"
    assert_same(baseline, build_with(tmp_path, "zz other name", {**BASE_ENV, **change}, umask="077",
                                     prefix=[faketime, "-f", "'+400d'"]))


def test_the_locale_really_exists():
    """The locale test means something only where fr_CA.UTF-8 is installed (scripts/setup makes it)."""
    out = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    assert "fr_ca.utf8" in out


def test_two_clones_of_the_real_report_give_the_same_build(tmp_path):
    """The issue's check on the real report: two git clones at different paths, one with
    TZ=UTC LANG=C.UTF-8 umask 022, the other with TZ=Pacific/Kiritimati LANG=fr_CA.UTF-8
    umask 077, another hash seed and a clock 400 days ahead; every file of build/ compared."""
    from conftest import REPO

    faketime = shutil.which("faketime")
    assert faketime, "faketime is missing: scripts/setup installs it"
    builds = []
    for name, env, umask, prefix in [
        ("first", BASE_ENV, "022", []),
        ("second clone", {"TZ": "Pacific/Kiritimati", "LANG": "fr_CA.UTF-8",
                          "LC_ALL": "fr_CA.UTF-8", "PYTHONHASHSEED": "99"}, "077",
         [faketime, "-f", "'+400d'"]),
    ]:
        clone = tmp_path / name
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
        # As scripts/setup does in a checkout: the print edition's ICC profile (not committed).
        shutil.copytree(REPO / "templates" / "icc", clone / "templates" / "icc")
        builds.append(run_build(clone, env, umask, prefix))
    assert_same(*builds)
