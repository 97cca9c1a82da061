"""output: a failed write leaves the last good file or folder in place, and no debris."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from folio.pipeline import output
from folio.pipeline.output import add_to_zip, write_file, write_tree, zip_bytes


def listing(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_write_file_replaces_the_file(tmp_path):
    target = tmp_path / "build" / "report.pdf"
    write_file(target, b"old")
    write_file(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(target.parent) == ["report.pdf"]
    assert target.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failed_write_file_keeps_the_old_file(tmp_path, monkeypatch, step):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, step, fail)
    with pytest.raises(OSError, match="disk full"):
        write_file(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["report.pdf"]


def test_write_tree_holds_exactly_the_new_files(tmp_path):
    target = tmp_path / "html"
    write_tree(target, {"index.html": b"1", "fonts/a.otf": b"2", "stale.html": b"3"})
    write_tree(target, {"index.html": b"new", "fonts/a.otf": b"2"})
    assert listing(target) == {"fonts/a.otf": b"2", "index.html": b"new"}
    assert os.listdir(tmp_path) == ["html"]


def test_failed_write_tree_keeps_the_old_folder(tmp_path, monkeypatch):
    target = tmp_path / "html"
    write_tree(target, {"index.html": b"old", "a.html": b"old a"})
    calls = []
    real = Path.write_bytes

    def fail_on_second(self, data):
        calls.append(self)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        write_tree(target, {"index.html": b"new", "a.html": b"new a", "b.html": b"b"})
    assert listing(target) == {"a.html": b"old a", "index.html": b"old"}
    assert os.listdir(tmp_path) == ["html"]


def test_failed_swap_keeps_the_old_folder(tmp_path, monkeypatch):
    target = tmp_path / "html"
    write_tree(target, {"index.html": b"old"})
    real = os.replace

    def fail_to_move_the_new_folder_in(src, dst):
        if Path(dst) == target and Path(src).name.endswith(".tmp"):  # the staging folder
            raise OSError("interrupted")
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", fail_to_move_the_new_folder_in)
    with pytest.raises(OSError, match="interrupted"):
        write_tree(target, {"index.html": b"new"})
    monkeypatch.undo()
    assert listing(target) == {"index.html": b"old"}
    assert os.listdir(tmp_path) == ["html"]


def test_zip_bytes_equal_what_zipfile_writes_entry_by_entry():
    # The EPUB's writer: its bytes must be those of the entry-by-entry route, mimetype stored.
    entries = [("mimetype", b"application/epub+zip"), ("EPUB/a.xhtml", b"<p>x</p>" * 500),
               ("EPUB/caf\u00e9.css", b"body {}"), ("EPUB/empty", b"")]
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as zf:
        for name, data in entries:
            add_to_zip(zf, name, data, stored=name == "mimetype")
    assert zip_bytes(entries, stored={"mimetype"}) == plain.getvalue()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as zf:
        assert zf.testzip() is None
        assert zf.infolist()[0].compress_type == zipfile.ZIP_STORED
