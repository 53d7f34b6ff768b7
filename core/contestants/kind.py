"""What a kind of contestant is, as data: the `Kind` declaration every kind fills in once (`core.contestants.kinds`).

A declaration names everything the rest of the code needs to know about a kind: the options its specs take, its
cost rank, whether it re-ranks a shortlist, scores (query, document) pairs, can be fine-tuned (and what it then
competes as), has its documents encoded ahead into a prebuilt index, and which attention view shows it. Nothing
here imports a model library or a ranker: `core.rankers.build` turns a declaration into a ranker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from core.contestants.spec import ContestantSpec, Option

FIRST = Option("first", str, "", "contestant (or kind) whose top `depth` documents this one re-ranks; "
               "empty: rank the whole corpus")
DEPTH = Option("depth", int, 100, "how many first-stage documents are re-ranked", minimum=1)
TAIL = Option("tail", bool, True, "keep the first stage's documents below the re-ranked ones, so that Recall@k and "
              "MAP@k compare with whole-corpus contestants; false: the run ends at `depth` (said in its label)")
ATTENTION_VIEWS = ("pair", "codes", "tokens", "")
"""How the Attention page and the highlights read a kind's model: query-document attention of one joint pass
("pair"), the poly-encoder's codes over the query tokens ("codes"), token similarities of two separately encoded
texts ("tokens"), or nothing to show ("")."""


@dataclass(frozen=True)
class Training:
    """How a kind is fine-tuned on a training split (`core.training.in_domain`, the Train page and `core train`).

    Attributes:
        label: What the Train page offers, in words.
        competes_as: The kind a fine-tuned model joins a comparison as ("" for its own): the distilled early-layer
            student is a sentence-transformers model, searched as a bi-encoder.
        teacher: The kind it distils from ("" for none); trained after that kind when both are chosen.
        untrained_teacher: Whether, without a fine-tuned teacher, it distils from the embedded zero-shot one (else
            it needs the teacher fine-tuned in the same job).
        ticked: Whether the Train page offers it ticked.
        starts_from: The kind whose model, fine-tuned in the same job, it starts from ("" for none: it starts from
            the packaged backbone); trained after that kind.
    """

    label: str
    competes_as: str = ""
    teacher: str = ""
    untrained_teacher: bool = False
    ticked: bool = True
    starts_from: str = ""

    @property
    def after(self) -> tuple[str, ...]:
        """The kinds it needs fine-tuned before it, when they are fine-tuned in the same job."""
        return tuple(kind for kind in (self.teacher, self.starts_from) if kind)


@dataclass(frozen=True)
class Kind:
    """A kind of contestant.

    Attributes:
        name: Key in specs (`kind=...`).
        title: Plain name for people ("bi-encoder").
        summary: One sentence for the Settings page and `--help`.
        cost: Rank from cheapest (0); the most expensive contestant present is the agreement reference.
        options: Its own options (the re-ranking ones are added when `reranks`).
        implementation: Its module under `core/rankers/`, which defines `build(spec, context) -> Ranker` and
            `describe_model(spec)` (the real model name a user sees: "all-MiniLM-L6-v2", never "embedded"), and
            `pair_calls` when `scores_pairs`. Imported on first use (`core.rankers.build`): model libraries load only
            when needed.
        has_model: Whether `model` means anything for this kind.
        reranks: Whether it can re-rank a first stage's shortlist (adds `first` and `depth`).
        default_first: The first stage used when a spec leaves `first` out ("" ranks the whole corpus).
        inputs_option: The option naming, joined by "+", the contestants whose results it needs besides its first
            stage (a fusion's inputs); "" for none.
        scores_pairs: Whether it runs a model on (query, document) pairs, priced before a comparison by its module's
            `pair_calls(spec, N) -> (calls at indexing, calls per query)`.
        check: Raises SpecError for options that do not fit together (called by `core.contestants.registry.
            contestant`); light, so a spec is checked without importing the kind's ranker.
        training: How it is fine-tuned, or None when it cannot be.
        prebuilt_index: Whether `core index` can encode its documents ahead (on Ray or in one process) into an
            index directory that comparisons then read instead of encoding.
        attention: Which view shows what its model attends to (`ATTENTION_VIEWS`).
        shorthand: Legacy CLI flags of this kind, flag → option ("model" for the model; "option=value" for a
            flag that takes no value and sets one).
    """

    name: str
    title: str
    summary: str
    cost: int
    options: tuple[Option, ...]
    implementation: str
    has_model: bool = True
    reranks: bool = True
    default_first: str = ""
    inputs_option: str = ""
    scores_pairs: bool = False
    check: Callable[[ContestantSpec], None] = lambda spec: None
    training: Training | None = None
    prebuilt_index: bool = False
    attention: str = ""
    shorthand: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.attention not in ATTENTION_VIEWS:
            raise ValueError(f"kind {self.name!r}: attention must be one of {ATTENTION_VIEWS}, not {self.attention!r}")

    @property
    def all_options(self) -> tuple[Option, ...]:
        if not self.reranks:
            return self.options
        return (*self.options, Option(FIRST.name, str, self.default_first, FIRST.help), DEPTH, TAIL)

    @property
    def competes_as(self) -> str:
        """The kind a fine-tuned model of this kind joins a comparison as."""
        return (self.training.competes_as if self.training else "") or self.name

    def inputs(self, spec: ContestantSpec) -> tuple[str, ...]:
        """The contestants `spec` needs besides its first stage (a fusion's inputs), by name."""
        if not self.inputs_option:
            return ()
        return tuple(part.strip() for part in (spec.option(self.inputs_option) or "").split("+") if part.strip())
