"""Results folders: checked before any work; staged so a failure leaves nothing partial behind."""

from __future__ import annotations

import pytest

from tregsim.errors import InputError
from tregsim.io import STAGING_PREFIX, atomic_write, prepare_out_dir, staged

OUTPUTS = ("timecourse.csv", "summary.json", "report.html")


def test_atomic_write_leaves_no_part_file_on_failure(tmp_path):
    def boom(name: str) -> None:
        open(name, "w").write("half")
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    with pytest.raises(UnicodeEncodeError):
        atomic_write(tmp_path / "report.html", boom)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out, words", [
    ("", "is empty"),
    ("   ", "is empty"),
    ("/proc/nope", "cannot be created"),
])
def test_bad_folders_are_refused(out, words):
    with pytest.raises(InputError, match=words) as e:
        prepare_out_dir(out, OUTPUTS, overwrite=False)
    assert str(e.value).startswith("--out: value ")


def test_a_file_or_a_folder_under_a_file_is_refused(tmp_path):
    f = tmp_path / "somefile"
    f.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        prepare_out_dir(str(f), OUTPUTS, overwrite=False)
    with pytest.raises(InputError, match="somefile' is a file, not a folder"):
        prepare_out_dir(str(f / "sub"), OUTPUTS, overwrite=False)


def test_a_folder_holding_any_result_file_needs_overwrite(tmp_path):
    (tmp_path / "timecourse.csv").write_text("the user's own data")
    with pytest.raises(InputError, match="already holds timecourse.csv.*--overwrite"):
        prepare_out_dir(str(tmp_path), OUTPUTS, overwrite=False)
    folder, created = prepare_out_dir(str(tmp_path), OUTPUTS, overwrite=True)
    assert folder == tmp_path and not created
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("unrelated files are fine")
    assert prepare_out_dir(str(other), OUTPUTS, overwrite=False) == (other, False)


def test_staged_results_appear_only_when_complete(tmp_path):
    folder, created = prepare_out_dir(str(tmp_path / "o"), OUTPUTS, overwrite=False)
    assert created
    with staged(folder, created) as stage:
        (stage / "summary.json").write_text("{}")
        (stage / "sub").mkdir()
        (stage / "sub" / "x.csv").write_text("1")
        assert not (folder / "summary.json").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["sub", "summary.json"]


def test_a_failure_removes_the_staging_and_a_folder_it_created(tmp_path):
    folder, created = prepare_out_dir(str(tmp_path / "o"), OUTPUTS, overwrite=False)
    with pytest.raises(RuntimeError), staged(folder, created) as stage:
        (stage / "summary.json").write_text("{}")
        (stage / "report.html.part").write_text("half")
        raise RuntimeError("crash while writing")
    assert not folder.exists()
    existing = tmp_path / "mine"
    existing.mkdir()
    with pytest.raises(RuntimeError), staged(existing, False) as stage:
        (stage / "summary.json").write_text("{}")
        raise RuntimeError("crash")
    assert existing.is_dir() and not any(p.name.startswith(STAGING_PREFIX) for p in existing.iterdir())
