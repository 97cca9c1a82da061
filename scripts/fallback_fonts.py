"""Fetch the fallback fonts listed in src/folio/theme/fallback/fonts.txt, checking each sha256.

Run by scripts/setup with the system's python3 (the standard library only). Each font comes
from a pinned Debian package (``apt-get download``, unpacked with ``dpkg-deb``, never
installed: the build must not find it among the system's fonts) or npm package (``npm pack``,
which checks the registry's integrity hash). A file already there with the pinned sha256 is
kept, so a second run fetches nothing. Any other sha256 stops the setup: the pin names the
exact font a build is reproducible with.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path


def entries(listing: Path) -> list[tuple[str, str, str, str, str]]:
    """(sha256, name, kind, package, path) of every line of fonts.txt."""
    out = []
    for line in listing.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        digest, name, source = line.split()
        kind, _, rest = source.partition(":")
        package, path = rest.rsplit(":", 1)
        out.append((digest, name, kind, package, path))
    return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def unpack(kind: str, package: str, work: Path) -> Path:
    """The folder a package's files are unpacked in."""
    into = work / hashlib.sha256(package.encode()).hexdigest()[:12]
    if into.is_dir():
        return into
    into.mkdir()
    into.chmod(0o777)  # apt-get downloads as its own user (_apt) where it can write
    if kind == "debian":
        subprocess.run(["apt-get", "download", "-qq", package], cwd=into, check=True)
        [deb] = into.glob("*.deb")
        subprocess.run(["dpkg-deb", "-x", str(deb), str(into)], check=True)
    elif kind == "npm":
        subprocess.run(["npm", "pack", "--silent", package], cwd=into, check=True,
                       stdout=subprocess.DEVNULL)
        [tgz] = into.glob("*.tgz")
        with tarfile.open(tgz) as tar:
            tar.extractall(into, filter="data")
    else:
        raise SystemExit(f"fallback fonts: unknown source kind '{kind}'")
    return into


def main(folder: str) -> int:
    target = Path(folder)
    wanted = [e for e in entries(target / "fonts.txt")
              if not ((target / e[1]).is_file() and (e[0] == "-" or sha256(target / e[1]) == e[0]))]
    if not wanted:
        return 0
    print(f"setup: fetching {len(wanted)} fallback font files (Noto)")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o755)
        for digest, name, kind, package, path in wanted:
            source = unpack(kind, package, Path(tmp)) / path
            if digest != "-" and sha256(source) != digest:
                print(f"setup: {name} from {package} has sha256 {sha256(source)}, not the pinned"
                      f" {digest} (src/folio/theme/fallback/fonts.txt)", file=sys.stderr)
                return 1
            shutil.copyfile(source, target / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
