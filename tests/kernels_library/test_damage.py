"""Bad input: a damaged index, missing or altered objects, unreadable rows, sources that do not fit the signature.

Each gets a clear error, and the other entries stay listable and loadable.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import kernels_library
from agents.cli import app
from kernels_library import KernelBuildError, LibraryError
from kernels_library._entry import EntryRecord
from tasks import resolve_task

Publish = Callable[..., EntryRecord]
GELU = resolve_task("gelu")
runner = CliRunner()


def _two_gelus(publish: Publish) -> tuple[EntryRecord, EntryRecord]:
    """The fastest gelu entry and a slower one with another source."""
    slower = publish(GELU, GELU.reference.cpp + "\n// slower copy", speedup=1.5)
    fastest = publish(GELU, speedup=3.0)
    return fastest, slower


def test_garbage_over_the_index_names_the_file_and_the_cure(publish: Publish) -> None:
    publish(GELU)
    publish("reduce-sum")
    library = kernels_library.store()
    library.index.write_bytes(b"this is not an SQLite database " * 200)
    with pytest.raises(LibraryError) as raised:
        kernels_library.list()
    assert str(library.index) in str(raised.value)
    assert "is damaged" in str(raised.value) and "agent library rebuild" in str(raised.value)
    result = runner.invoke(app, ["library", "list"])
    assert result.exit_code == 2
    assert "agent library rebuild" in result.output

    result = runner.invoke(app, ["library", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "with 2 entries" in result.output
    assert sorted(e.name for e in kernels_library.list()) == ["gelu", "reduce-sum"]
    assert kernels_library.get("gelu").source == GELU.reference.cpp
    assert len(list(library.root.glob("index.sqlite.damaged-*"))) == 1


def test_a_damaged_page_inside_the_index_is_reported_too(publish: Publish) -> None:
    for i in range(30):
        publish(GELU, GELU.reference.cpp + f"\n// {i}")
    library = kernels_library.store()
    with closing(sqlite3.connect(library.index)) as connection:  # the entries table's root page, not a page
        (root,) = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'entries'").fetchone()
        (size,) = connection.execute("PRAGMA page_size").fetchone()  # of row text that SQLite cannot check
    data = bytearray(library.index.read_bytes())
    page = (root - 1) * size
    data[page : page + size] = b"\x55" * size
    library.index.write_bytes(bytes(data))
    with pytest.raises(LibraryError, match="is damaged \\(database disk image is malformed\\)"):
        kernels_library.list()
    assert library.rebuild_index() == 30
    assert len(kernels_library.list()) == 30


def test_an_unreadable_row_is_skipped_with_a_warning(publish: Publish, caplog: pytest.LogCaptureFixture) -> None:
    broken = publish(GELU, speedup=5.0)
    good = publish(GELU, GELU.reference.cpp + "\n// another", speedup=1.0)
    with sqlite3.connect(kernels_library.store().index) as connection:
        connection.execute("UPDATE entries SET verdict = '{not json' WHERE id = ?", (broken.id,))
    with caplog.at_level(logging.WARNING):
        assert [e.record.id for e in kernels_library.list()] == [good.id]
    assert f"library entry #{broken.id} is unreadable and skipped" in caplog.text
    assert kernels_library.get("gelu").record.id == good.id


def test_a_missing_object_falls_back_to_the_next_best_entry(publish: Publish, caplog: pytest.LogCaptureFixture) -> None:
    fastest, slower = _two_gelus(publish)
    library = kernels_library.store()
    library.object_path(fastest.source_digest).unlink()
    assert {e.record.id for e in kernels_library.list()} == {fastest.id, slower.id}  # still listed
    (broken,) = [e for e in kernels_library.list() if e.record.id == fastest.id]
    with pytest.raises(LibraryError, match=f"entry #{fastest.id} \\(gelu\\): source object .* is missing"):
        broken.source  # noqa: B018
    with caplog.at_level(logging.WARNING):
        entry = kernels_library.get("gelu")
    assert entry.record.id == slower.id
    assert "is missing; trying the next entry" in caplog.text
    assert entry.load()(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]

    library.object_path(slower.source_digest).unlink()
    with pytest.raises(LibraryError, match=r"no usable library entry for 'gelu'.*is missing.*is missing"):
        kernels_library.get("gelu")


def test_an_altered_object_is_refused_and_republishing_repairs_it(publish: Publish) -> None:
    fastest, slower = _two_gelus(publish)
    library = kernels_library.store()
    path = library.object_path(fastest.source_digest)
    path.write_text(path.read_text().replace("0.5", "0.25"))
    (altered,) = [e for e in kernels_library.list() if e.record.id == fastest.id]
    with pytest.raises(LibraryError, match="was altered"):
        altered.load()
    assert kernels_library.get("gelu").record.id == slower.id
    publish(GELU, speedup=2.0)
    assert kernels_library.get("gelu").record.id == fastest.id
    assert path.read_text() == GELU.reference.cpp


@pytest.mark.parametrize(
    ("source", "compiler_says"),
    [
        (
            "void gelu(const float* x, int64_t n, float* out) { for (int64_t i = 0; i < n; ++i) out[i] = x[i]; }",
            "required symbol `gelu' not defined",
        ),
        ('extern "C" void gelu(const float* x, int64_t n, float* out) {}', "conflicting types for 'gelu'"),
        ("void helper();\nvoid gelu(const double* x, int64_t n, double* out) { helper(); }", "undefined reference"),
        ("this is not C++", "error"),
    ],
    ids=["other-parameter-types", "conflicting-c-declaration", "undefined-symbol", "garbage"],
)
def test_a_source_that_does_not_fit_the_signature_fails_to_load_clearly(
    publish: Publish, clang: str, source: str, compiler_says: str
) -> None:
    good = publish("reduce-sum")
    bad = publish(GELU, source)
    with pytest.raises(KernelBuildError) as raised:
        kernels_library.get("gelu").load()
    message = str(raised.value)
    assert f"library entry #{bad.id}: gelu: the source does not build into" in message
    assert "`void gelu(const double* x, int64_t n, double* out)`" in message
    assert compiler_says in message
    assert isinstance(raised.value, LibraryError)
    assert kernels_library.get("reduce-sum").record.id == good.id
    assert kernels_library.get("reduce-sum").load()(np.zeros(4))[0] == 0.0


def test_an_unreadable_record_is_skipped_when_rebuilding(publish: Publish, caplog: pytest.LogCaptureFixture) -> None:
    publish(GELU)
    publish("reduce-sum")
    library = kernels_library.store()
    record = next(library.records_dir.glob("*/*.json"))
    record.write_text("{")
    with caplog.at_level(logging.WARNING):
        assert library.rebuild_index() == 1
    assert f"library record {record} is unreadable and skipped" in caplog.text
    assert len(kernels_library.list()) == 1


def test_an_index_that_cannot_be_opened_is_a_library_error(library_home: Path) -> None:
    index = library_home / "library" / "index.sqlite"
    index.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(LibraryError, match=f"library index {index} cannot be used"):
        kernels_library.list()
