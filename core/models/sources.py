"""What a model names, without loading it: the folder it resolves to, its name for people, whether a
server allows it, and a fingerprint of its weight files.

A model is "embedded" (the offline default shipped with the project), a named offline model (see
`core.models.offline`: "all-MiniLM-L6-v2", and "all-mpnet-base-v2" once its packages are installed), a local
folder, or a Hugging Face id. Nothing here imports a model library, so specs are checked and described before
torch loads (`core.models.loading` loads them).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from core.config import TRAINING_DIR, WEIGHTS_DIR, ModelPolicy
from core.models.errors import ModelError
from core.models.offline import OFFLINE_MODELS, backbone_path, offline_name
from core.text import duration_text

ARENA_CONFIG_FILE = "arena_config.json"
TRAINING_RECORD = "training.json"
"""What `core train` writes beside the weights it saved: the whole training record."""
EMBEDDED = "embedded"
PACKAGED_MODEL = "all-MiniLM-L6-v2"
"""The packaged model behind every "embedded" model."""
EMBEDDED_CROSS_DIR = WEIGHTS_DIR / "cross-encoder"
EMBEDDED_POLY_DIR = WEIGHTS_DIR / "poly-encoder"
FINGERPRINTED = (".safetensors", ".json", ".onnx")
"""Files whose change makes a model's cached outputs stale."""
PICKLED_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.pkl", "*.pickle", "*.ckpt")
"""Weight files in pickle formats: never downloaded, and a local folder of only these is refused."""



def read_arena_config(folder: Path) -> dict[str, Any] | None:
    """The arena config of a saved checkpoint folder, or None when `folder` is not one."""
    config_file = folder / ARENA_CONFIG_FILE
    return json.loads(config_file.read_text()) if config_file.is_file() else None


def resolve(model: str) -> str:
    """A local folder for `model`: "embedded" → packaged MiniLM, a named offline model (from its installed
    packages, never downloaded), a path (checked), or a Hugging Face id downloaded.

    A Hugging Face id is downloaded without any pickle-format weight file, and a local folder holding one
    without a safetensors file beside it is refused, so no model file is ever unpickled.

    Raises:
        ModelError: For a missing path, a folder whose weights are pickles only, or a named offline model whose
            packages are not installed (the message gives the install command).
        OSError: If a download fails (the loaders turn it into a `ModelError`).
    """
    model = model.strip()
    if model == EMBEDDED:
        return str(backbone_path())
    if (name := offline_name(model)) is not None:
        try:
            return str(OFFLINE_MODELS[name]())
        except (OSError, ValueError) as error:
            raise ModelError(f"{name}: {error}") from error
    path = Path(model).expanduser()
    if path.exists():
        _refuse_pickled_weights(path)
        return str(path.resolve())
    if model.startswith((".", "/", "~")) or model.count("/") > 1 or not model:
        raise ModelError(f"model path {model!r} does not exist")
    from huggingface_hub import snapshot_download  # here: only a Hugging Face id needs it

    return snapshot_download(model, ignore_patterns=list(PICKLED_WEIGHTS))


def model_title(model: str) -> str:
    """The real name of a model for people: "embedded" → all-MiniLM-L6-v2, a named offline model → its
    name (also when given as a Hugging Face id), a path → its folder's name, a Hugging Face id as it is."""
    model = model.strip()
    if model == EMBEDDED:
        return PACKAGED_MODEL
    if (name := offline_name(model)) is not None:
        return name
    return Path(model).name if Path(model).expanduser().exists() else model


def saved_module(model: str, default_dir: Path) -> tuple[str, dict] | None:
    """(folder name, saved module config) of a project-trained checkpoint that `model` names, without loading it;
    None when `model` names a plain backbone (from which an untrained module is built)."""
    folder = default_dir if model.strip() == EMBEDDED else Path(model).expanduser()
    saved = read_arena_config(folder) if folder.is_dir() else None
    if saved is None:
        return None
    record = training_record(folder)
    seconds = {"training_seconds": record["history"]["seconds"]} if record and "seconds" in record["history"] else {}
    return ("embedded" if model.strip() == EMBEDDED else folder.name), saved.get("config", {}) | seconds


def model_fingerprint(model: str, embedded_dir: Path | None = None) -> str | None:
    """A short hash of the weight files behind `model` (names, sizes, modification times), so that caches keyed
    by it go stale when the weights change; `embedded_dir` is what "embedded" loads for this kind when it
    exists (else the packaged backbone). None when `model` cannot be resolved without loading or downloading."""
    if model.strip() == EMBEDDED:
        folder = embedded_dir if embedded_dir is not None and embedded_dir.is_dir() else backbone_path()
    elif offline_name(model) is not None or Path(model).expanduser().exists():
        try:
            folder = Path(resolve(model))
        except (ModelError, OSError):
            return None
    else:
        return None  # a Hugging Face id: its files are not known without asking the hub
    files = sorted(file for file in Path(folder).rglob("*") if file.is_file() and file.suffix in FINGERPRINTED)
    stats = [(str(file.relative_to(folder)), file.stat().st_size, file.stat().st_mtime_ns) for file in files]
    return hashlib.sha256(repr((model.strip(), stats)).encode()).hexdigest()[:16]


def fine_tuning(model: str) -> dict | None:
    """How a sentence-transformers folder that `core train --data` wrote came about, from its `training.json`, as
    `training_state` reads it (`fine_tuned_on`, `kept_start`, `training_seconds`); None for any other model."""
    folder = Path(model.strip()).expanduser()
    if model.strip() == EMBEDDED or read_arena_config(folder) is not None:
        return None
    record = training_record(folder)
    if record is None:
        return None
    history = record["history"]
    return {"fine_tuned_on": record.get("dataset", ""), "kept_start": not history.get("best_step"),
            "training_seconds": history.get("seconds")}


def fine_tuning_state(model: str) -> str:
    """`fine_tuning` in words, as `training_state` says it ("fine-tuned on wikiqa in 20 min"); "" for a model that
    `core train --data` did not write."""
    config = fine_tuning(model)
    return training_state(str(Path(model.strip()).expanduser()), config) if config else ""


def training_record(folder: Path) -> dict | None:
    """The fine-tuning record `core train --data` wrote into `folder`, None where there is none (or it is not one)."""
    try:
        record = json.loads((folder / TRAINING_RECORD).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("history"), dict) else None


def checkpoint_name(folder: str) -> str:
    """A saved module's folder as its display name says it: nothing for the packaged one (its name would be the
    jargon "embedded"), " <folder>" for any other."""
    return "" if folder == EMBEDDED else f" {folder}"


def training_state(folder: str, config: dict) -> str:
    """How a saved module's weights came about, for people: "zero-shot" (the embedded heads, trained on other
    data), "fine-tuned on <dataset>" (with its training time where the config has `training_seconds`: "fine-tuned on
    wikiqa in 20 min"), "no gain from fine-tuning on <dataset> in 20 min: kept the untrained start", "trained" or
    "untrained"."""
    if folder == EMBEDDED:
        return "zero-shot"
    seconds = config.get("training_seconds")
    took = f" in {duration_text(seconds)}" if seconds else ""
    if config.get("kept_start"):
        return f"no gain from fine-tuning on {config.get('fine_tuned_on') or 'its data'}{took}: kept the untrained start"
    if config.get("fine_tuned_on"):
        return f"fine-tuned on {config['fine_tuned_on']}{took}"
    return "trained" if config.get("trained") else "untrained"


def _refuse_pickled_weights(path: Path) -> None:
    """Refuse a model folder (or subfolder) holding pickled weights without safetensors beside them."""
    folders = [path, *(child for child in path.glob("*") if child.is_dir())] if path.is_dir() else []
    for folder in folders:
        pickled = [file.name for pattern in PICKLED_WEIGHTS for file in folder.glob(pattern)]
        if pickled and not any(folder.glob("*.safetensors")):
            raise ModelError(f"{str(folder)!r} holds weights as pickles only ({', '.join(sorted(pickled)[:3])}); "
                             "only safetensors are loaded")


def check_model(model: str, policy: ModelPolicy) -> None:
    """Refuse a model that `policy` does not allow (it allows every model unless restricted).

    A restricted policy allows "embedded", the named offline models, a Hugging Face id matching `policy.hub_ids`
    in full, and an existing path inside one of `policy.model_dirs`, the models fine-tuned on this server
    (`TRAINING_DIR`) or the project's own weights (`WEIGHTS_DIR`), after following links and "..".

    Raises:
        ModelError: Saying what is allowed instead.
    """
    model = model.strip()
    if not policy.restricted or model == EMBEDDED or offline_name(model) is not None:
        return
    path = Path(model).expanduser()
    if path.exists():
        resolved = path.resolve()
        if any(resolved.is_relative_to(folder.resolve()) for folder in (*policy.model_dirs, TRAINING_DIR, WEIGHTS_DIR)):
            return
    elif policy.hub_ids and re.fullmatch(policy.hub_ids, model) and ".." not in model:
        return
    folders = ", ".join(str(folder) for folder in policy.model_dirs) or "none are set"
    raise ModelError(f"model {model[:80]!r} is not allowed on this server: use \"embedded\", a named offline model "
                     f"({', '.join(OFFLINE_MODELS)}), a Hugging Face id "
                     f"matching {policy.hub_ids or 'nothing'}, or a path inside the allowed model folders "
                     f"({folders}; ARENA_MODEL_DIRS sets them)")
