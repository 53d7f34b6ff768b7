"""What a comparison runs, as data: contestant specs, the options each kind takes, and the comparison spec.

A contestant is a display name, a kind, a model and options, written on the command line as
`name=bm25>cross,kind=cross,first=bm25,depth=20` and saved in a JSON or TOML comparison file. Specs are
frozen and hashable, so a comparison spec keys caches; they know nothing about rankers or models.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from core.config import BACKENDS, Backend
from core.devices import DeviceError, check_device_name

EMBEDDED = "embedded"
MAX_CONTESTANTS = 8
SPEC_KEYS = ("name", "kind", "model")
"""Spec keys that are not options."""


TYPE_NAMES = {int: "a whole number", float: "a finite number", bool: "true or false", str: "text"}


class SpecError(ValueError):
    """A contestant or comparison spec that cannot run; the message says which part and why."""


@dataclass(frozen=True)
class Option:
    """One option a kind takes, from which the CLI's spec parser and the Settings form are both derived.

    Attributes:
        name: Key in a spec (`depth=20`).
        type: Its Python type: int, float, str or bool.
        default: The value when the spec leaves it out.
        help: One line for `--help` and the Settings form.
        choices: Allowed values, if only some are.
        minimum: Smallest allowed number, for int and float options.
    """

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] = ()
    minimum: float | None = None

    def parse(self, raw: Any, where: str) -> Any:
        """`raw` (a spec string, or a JSON/TOML value) as this option's type, checked.

        Raises:
            SpecError: Naming `where`, the option and what is allowed.
        """
        try:
            if self.type is bool and isinstance(raw, str):
                if raw.strip().lower() not in ("true", "false", "yes", "no", "1", "0"):
                    raise ValueError(raw)
                value: Any = raw.strip().lower() in ("true", "yes", "1")
            elif isinstance(raw, bool) != (self.type is bool) and not isinstance(raw, str):
                raise ValueError(raw)  # JSON/TOML true read as 1 (or 1 as true) would hide a mistake
            elif self.type is int and isinstance(raw, float) and not raw.is_integer():
                raise ValueError(raw)  # and so would 2.5 cut to 2
            else:
                value = self.type(raw.strip() if isinstance(raw, str) else raw)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(raw)
        except (TypeError, ValueError):
            raise SpecError(f"{where}: {self.name}={raw!r} is not {TYPE_NAMES[self.type]}") from None
        if self.choices and value not in self.choices:
            raise SpecError(f"{where}: {self.name} must be one of {', '.join(map(str, self.choices))}, not {raw!r}")
        if self.minimum is not None and value < self.minimum:
            raise SpecError(f"{where}: {self.name} must be at least {self.minimum:g}, not {raw!r}")
        return value


BACKEND_TITLES: dict[str, str] = {"torch": "PyTorch", "torch-bf16": "PyTorch in bfloat16", "onnx": "ONNX Runtime",
                                  "onnx-int8": "ONNX Runtime, int8"}


def runs_on(spec: ContestantSpec) -> str:
    """", run by ONNX Runtime" (what runs a contestant's model, for its title), or "" for PyTorch or without a backend."""
    backend = spec.option("backend", "torch")
    return "" if backend == "torch" else f", run by {BACKEND_TITLES[backend]}"


def backend_option(default: Backend, choices: tuple[Backend, ...] = BACKENDS) -> Option:
    """The option choosing what runs a neural contestant's model (kinds that offer it pick their default)."""
    ways = "; ".join(f"{backend} ({BACKEND_TITLES[backend]})" for backend in choices)
    return Option("backend", str, default, f"what runs the model: {ways} (benchmarks/README.md has the speed and "
                  "quality of each)", choices)


@dataclass(frozen=True)
class ContestantSpec:
    """One contestant: a unique display name, a kind, a model and the kind's options.

    Attributes:
        name: Display name, unique within a comparison; results, runs, colours and files are keyed by it.
        kind: A registered kind (see `core.contestants.registry`).
        model: "embedded" (the offline default), a local path or a Hugging Face id; "" for kinds without a model.
        options: The kind's options as sorted (name, value) pairs, values already typed.
    """

    name: str
    kind: str
    model: str = EMBEDDED
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)

    def with_options(self, **values: Any) -> ContestantSpec:
        merged = {**dict(self.options), **values}
        return ContestantSpec(self.name, self.kind, self.model, tuple(sorted(merged.items())))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, **({"model": self.model} if self.model else {}),
                **dict(self.options)}

    def to_text(self) -> str:
        """The spec as a `--ranker` argument (reads back to an equal spec)."""
        return ",".join(f"{key}={value}" for key, value in self.to_dict().items())


def parse_pairs(text: str, where: str = "") -> dict[str, str]:
    """`key=value,key=value` as a dict (values keep any "=" after the first).

    Raises:
        SpecError: For a part without "=", or a key given twice, naming `where` (by default the ranker spec).
    """
    where = where or f"ranker spec {text!r}"
    pairs: dict[str, str] = {}
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        key, equals, value = part.partition("=")
        if not equals or not key.strip():
            raise SpecError(f"{where}: {part!r} is not key=value")
        if key.strip() in pairs:
            raise SpecError(f"{where}: {key.strip()} is given twice")
        pairs[key.strip()] = value.strip()
    return pairs


@dataclass(frozen=True)
class Setting:
    """A comparison-wide setting, described once for the CLI flags and the Settings form."""

    help: str
    minimum: int | None = None


def setting(default: Any, help: str, minimum: int | None = None) -> Any:
    return field(default=default, metadata={"setting": Setting(help, minimum)})


@dataclass(frozen=True)
class ComparisonSpec:
    """A whole comparison: its contestants and the settings they share. Round-trips through JSON and TOML.

    Attributes:
        contestants: What competes, in display order (at most `MAX_CONTESTANTS`).
        k: Documents kept per query in every run.
        exclude_self: Drop a hit whose doc id equals its query id (BEIR/MTEB convention for ArguAna).
        device: Where the models run (`core.devices`); resolved when the comparison is run.
    """

    contestants: tuple[ContestantSpec, ...]
    k: int = setting(100, "documents kept per query in every run", minimum=1)
    exclude_self: bool = setting(False, "drop a hit whose doc id equals the query id (BEIR/MTEB, e.g. ArguAna)")
    device: str = setting("auto", "where the models run: auto (the server's ARENA_DEVICE, else CUDA, then Apple's "
                          "MPS, then the CPU), cpu, cuda, cuda:N or mps")

    def __post_init__(self) -> None:
        if not self.contestants:
            raise SpecError("a comparison needs at least one contestant")
        if len(self.contestants) > MAX_CONTESTANTS:
            raise SpecError(f"at most {MAX_CONTESTANTS} contestants can compete at once, not {len(self.contestants)}")
        names = [c.name for c in self.contestants]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise SpecError(f"contestant names must be unique: {', '.join(twice)} is used twice")
        for setting_field in settings():
            name, value = setting_field.name, getattr(self, setting_field.name)
            minimum = setting_field.metadata["setting"].minimum
            if type(value) is not type(setting_field.default):  # bool is an int: compare types, not isinstance
                raise SpecError(f"{name} must be a {type(setting_field.default).__name__}, not {value!r}")
            if minimum is not None and value < minimum:
                raise SpecError(f"{name} must be at least {minimum}")
        try:
            check_device_name(self.device)
        except DeviceError as error:
            raise SpecError(str(error)) from None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.contestants)

    def contestant(self, name: str) -> ContestantSpec:
        return next(c for c in self.contestants if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {**{f.name: getattr(self, f.name) for f in settings()},
                "contestants": [c.to_dict() for c in self.contestants]}


def settings() -> tuple[Any, ...]:
    """The dataclass fields of `ComparisonSpec` that are comparison-wide settings."""
    return tuple(f for f in fields(ComparisonSpec) if "setting" in f.metadata)


def read_comparison_file(path: Path) -> dict[str, Any]:
    """A JSON or TOML comparison file as plain data (checked later by `core.contestants.registry`).

    Raises:
        SpecError: For a file that is missing or not valid JSON/TOML, naming it.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(f"{path}: cannot read the comparison file ({error.strerror or error})") from None
    return parse_comparison_text(text, path.name)


def parse_comparison_text(text: str, source: str) -> dict[str, Any]:
    """A comparison file's text (TOML when `source` ends in .toml, else JSON) as plain data."""
    try:
        data = tomllib.loads(text) if source.lower().endswith(".toml") else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"{source}: not a valid comparison file ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("contestants"), list):
        raise SpecError(f"{source}: a comparison file needs a list of contestants")
    return data


def comparison_to_toml(spec: ComparisonSpec) -> str:
    """`spec` as TOML: the settings, then one `[[contestants]]` table each."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in spec.to_dict().items() if key != "contestants"]
    for contestant in spec.contestants:
        lines += ["", "[[contestants]]", *(f"{key} = {_toml_value(value)}" for key, value in contestant.to_dict().items())]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # Numbers as they are; strings double-quoted with JSON escapes, which TOML shares, except that JSON writes
    # a character beyond U+FFFF as a surrogate pair that TOML rejects: keep those as they are, escape DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
