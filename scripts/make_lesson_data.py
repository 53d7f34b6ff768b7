"""Write `sample_data/lesson/`: a small BEIR dataset on why reading query and document together helps.

Every query has hard distractors in the corpus: documents that share almost all of its words but mean
something else (the roles swapped, a negation, the other side of a comparison, only one of two conditions,
a year on the wrong side of a threshold). A bi-encoder, which embeds query and document apart, confuses
them; a cross-encoder, which reads the pair together, can tell them apart.

All text is written from templates over invented names (companies, people, towns, rivers, alloys,
animals, ...). The output is deterministic: one `random.Random(13)` drives every choice.

Usage: python scripts/make_lesson_data.py [--out sample_data/lesson]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SEED = 13
TEST_SHARE = 0.3
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "sample_data" / "lesson"
# Copied into the README. Measured by hand (the command below); re-measure when the templates change.
MEASURED = """\
First-stage rankers on the test split, measured when the data was written
(`python -m core compare sample_data/lesson --split test --rankers bi,bm25 --out /tmp/lesson-check`):

| Ranker | nDCG@10 | Recall@100 |
|---|---:|---:|
| bi-encoder (all-MiniLM-L6-v2) | 0.692 | 1.000 |
| BM25 (bm25s, k1 = 1.5, b = 0.75) | 0.755 | 1.000 |

Every relevant document is in the bi-encoder's top 10, often below a distractor: the room is in the order,
for a re-ranker that reads query and document together (fine-tuned on the training split)."""


# --------------------------------------------------------------------------------------------------
# Output records
# --------------------------------------------------------------------------------------------------

@dataclass(eq=False)
class Doc:
    """One corpus document; its id is given when the corpus is written."""

    title: str
    text: str
    id: str = ""


@dataclass(eq=False)
class Query:
    """One query with its relevant documents and their grades (2: answers it, 1: answers it indirectly)."""

    text: str
    relevant: list[tuple[Doc, int]]
    id: str = ""


@dataclass
class Cluster:
    """Documents built around one combination of entities, and the queries asked of them.

    A cluster's queries all go to the same split, so test queries never share an entity combination
    with training queries.
    """

    family: str
    docs: list[Doc]
    queries: list[Query]


def cap(text: str) -> str:
    """`text` with its first letter in upper case."""
    return text[:1].upper() + text[1:]


def article(noun: str) -> str:
    """`noun` with "a" or "an" in front."""
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def say(template: str, **fields: object) -> str:
    """Fill `template` and capitalise the sentence."""
    return cap(template.format(**fields))


def pair_title(x: str, y: str) -> str:
    """A neutral title naming two entities in alphabetical order (so it never gives away their roles)."""
    first, second = sorted((x, y), key=lambda name: name.removeprefix("the ").lower())
    return f"{cap(first)} and {second}"


# --------------------------------------------------------------------------------------------------
# Invented names
# --------------------------------------------------------------------------------------------------

COMPANY_HEADS = ["Bright", "Nor", "Kes", "Hal", "Mar", "Tor", "Vel", "Ash", "Cor", "Dun", "Fen", "Gal", "Wex",
                 "Ost", "Pel", "Quill", "Rav", "Sten", "Tam", "Yar", "Brom", "Cald", "Elm", "Lum"]
COMPANY_TAILS = ["line", "vale", "tek", "mark", "point", "stone", "well", "crest", "ridge", "bridge", "core", "field"]
TOWN_HEADS = ["Ald", "Bren", "Carn", "Dun", "Eld", "Fal", "Gren", "Hest", "Ips", "Kir", "Lind", "Mor", "Nes",
              "Osk", "Pen", "Rud", "Sel", "Thorn", "Ulv", "Wend", "Yel", "Bar", "Hav", "Stav"]
TOWN_TAILS = ["by", "mere", "ham", "thorpe", "holm", "bury", "stow", "wick", "ford", "den", "ley", "combe"]
WORD_HEADS = ["Al", "Bel", "Cas", "Dor", "El", "Fi", "Gar", "Hel", "Iv", "Jor", "Kal", "Lir", "Mor", "Nel", "Or",
              "Per", "Ros", "Sev", "Tir", "Val", "Wyn", "Zar"]
WORD_TAILS = ["ina", "ona", "eth", "ric", "wyn", "dra", "mira", "ven", "lis", "tor", "ane", "ara"]
SUBSTANCE_HEADS = ["Vel", "Cor", "Dra", "Lum", "Pran", "Sel", "Tor", "Mar", "Zen", "Quin", "Bor", "Fal", "Nev",
                   "Ost", "Ril", "Tal", "Ker", "Ves", "Mol", "Syn"]
SUBSTANCE_TAILS = ["trin", "ant", "ite", "ide", "ane", "ium", "ol", "ex", "ene", "ar", "isse", "orn"]
RIVER_HEADS = ["Tarn", "Wyl", "Esk", "Ord", "Sil", "Brann", "Lod", "Cal", "Dorr", "Av", "Is", "Mell", "Rhun",
               "Tav", "Yst", "Frid", "Ur"]
RIVER_TAILS = ["a", "en", "ey", "ow", "ith", "wy", "ell"]
FIRST_NAMES = ["Mira", "Jonas", "Ada", "Tobias", "Lena", "Oskar", "Ines", "Felix", "Rosa", "Anton", "Clara",
               "Emil", "Hedda", "Marek", "Nora", "Pavel", "Greta", "Linus", "Vera", "Bruno", "Elsa", "Ivo",
               "Tilde", "Kasimir", "Agnes", "Milo", "Signe", "Otto", "Ruth", "Aurel"]
SURNAMES = ["Kessel", "Varrow", "Brenner", "Holt", "Marsh", "Fenwick", "Aldine", "Crane", "Dorsey", "Quarrel",
            "Pellam", "Stroud", "Ivers", "Lorne", "Hatch", "Garrow", "Wendel", "Sorrel", "Birch", "Tennant",
            "Mayhew", "Corliss", "Rook", "Ansel", "Blackwood", "Cutter", "Dunmore", "Elwes", "Farrant", "Gilchrist",
            "Harkin", "Inchley", "Jarrold", "Kettering", "Lusk", "Marlow", "Nettle", "Orme", "Pascoe", "Quayle",
            "Rudd", "Selby", "Thorne", "Upton", "Vosper", "Waddell", "Yeo", "Ashdown", "Bellamy", "Carver",
            "Draycott", "Emsley", "Frome", "Gosling", "Hollis", "Kemble", "Lister", "Mottram", "Norcott", "Pym",
            "Redfern", "Sutcliffe", "Tolley", "Venn", "Whitlock", "Ackroyd", "Brassey", "Coldwell", "Dainty", "Eyre",
            "Fairley", "Greaves", "Heseltine", "Ingham", "Jessop"]
ANIMAL_ADJECTIVES = ["copper", "ash", "dusk", "marsh", "ridge", "pale", "amber", "slate", "moss", "reed", "frost",
                     "ember", "tawny", "silver", "cinder", "hollow", "brine", "fern", "storm", "thistle"]
CREATURES = ["newt", "shrike", "vole", "heron", "frog", "beetle", "owl", "marten", "stoat", "lizard", "moth",
             "toad", "pike", "eel", "crab", "shrew", "weasel", "snake", "hawk", "spider"]
BIRDS = ["wren", "lark", "plover", "finch", "warbler", "swift", "tern", "bunting", "pipit", "thrush"]
TEAM_SUFFIXES = ["Rovers", "United", "Wanderers", "Athletic", "Harriers", "Albion"]


class Names:
    """Hands out invented names, never the same core name twice in the whole dataset."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.surnames = list(SURNAMES)
        rng.shuffle(self.surnames)

    def _fresh(self, heads: Sequence[str], tails: Sequence[str]) -> str:
        """A head and a tail not used together before."""
        for _ in range(10_000):
            name = self.rng.choice(heads) + self.rng.choice(tails)
            if name.lower() not in self.used:
                self.used.add(name.lower())
                return name
        raise RuntimeError("ran out of names")

    def company(self) -> str:
        """"Brightline", "Norvale", ..."""
        return self._fresh(COMPANY_HEADS, COMPANY_TAILS)

    def town(self) -> str:
        """"Aldby", "Kirmere", ..."""
        return self._fresh(TOWN_HEADS, TOWN_TAILS)

    def word(self) -> str:
        """A name for ships, lakes, stars, ...: "Kalina", "Dorwyn"."""
        return self._fresh(WORD_HEADS, WORD_TAILS)

    def substance(self) -> str:
        """A name for alloys, inks, medicines, ...: "Veltrin", "Corite"."""
        return self._fresh(SUBSTANCE_HEADS, SUBSTANCE_TAILS)

    def river(self) -> str:
        """"the Silen", "the Tarna", ..."""
        return "the " + self._fresh(RIVER_HEADS, RIVER_TAILS)

    def person(self) -> str:
        """A first name and a surname no one else in the dataset has."""
        return f"{self.rng.choice(FIRST_NAMES)} {self.surnames.pop()}"

    def team(self) -> str:
        """A town's team: "Aldby Rovers"."""
        return f"{self.town()} {self.rng.choice(TEAM_SUFFIXES)}"

    def animal(self, kinds: Sequence[str] = CREATURES) -> str:
        """An invented species: "the dusk vole"."""
        return "the " + self._fresh([a + " " for a in ANIMAL_ADJECTIVES], kinds)

    def bird(self) -> str:
        """An invented bird: "the slate wren"."""
        return self.animal(BIRDS)

    def make(self, kind: str, pattern: str = "{}") -> str:
        """A fresh name of `kind` (a method name above), dressed by `pattern`, e.g. "the {} ferry"."""
        return pattern.format(getattr(self, kind)())


# --------------------------------------------------------------------------------------------------
# Family 1: roles and word order ("Which company bought Norvale?" vs "Norvale bought ...")
# --------------------------------------------------------------------------------------------------

@dataclass
class Relation:
    """A relation between two entities, with sentences saying `a` did it to `b` and questions about it."""

    name: str
    entity: str
    active: list[str]
    passive: list[str]
    near_miss: list[str]  # a and b both named, the relation did not happen
    ask_agent: list[str]  # "who did it to {f}?"
    ask_patient: list[str]  # "whom did {f} do it to?"
    extra: list[str] = field(default_factory=list)
    setting: dict[str, list[str]] = field(default_factory=dict)  # cluster-wide values, e.g. the goods supplied
    one_patient: bool = False  # a river flows into only one river


RELATIONS = [
    Relation(
        "acquisition", "company",
        active=["{a} acquired {b} in {year}.", "{a} bought {b} for {money} in {year}.", "In {year}, {a} took over {b}.",
                "{a} completed its purchase of {b} in {year}."],
        passive=["{b} was acquired by {a} in {year}.", "{b} was bought by {a} in {year} and kept its own name.",
                 "In {year}, {b} passed into the hands of {a}, which paid {money}."],
        near_miss=["{a} tried to buy {b} in {year}, but the deal collapsed.",
                   "{a} and {b} talked about a merger in {year}; in the end neither bought the other."],
        ask_agent=["Which company bought {f}?", "Who acquired {f}?", "Which firm took over {f}?"],
        ask_patient=["Which companies has {f} bought?", "What did {f} acquire?", "Which firms were taken over by {f}?"],
        extra=["The deal was worth {money}.", "Most of the staff kept their jobs.",
               "The news surprised investors in {place}."],
    ),
    Relation(
        "lawsuit", "company",
        active=["{a} sued {b} over a patent in {year}.", "{a} took {b} to court in {year}, claiming unpaid fees.",
                "In {year}, {a} filed a lawsuit against {b}."],
        passive=["{b} was sued by {a} in {year}.", "{b} faced a lawsuit from {a} in {year} over a broken contract."],
        near_miss=["{a} threatened to sue {b} in {year}, but the two settled before any case was filed.",
                   "{a} and {b} were both named in a lawsuit brought by a supplier in {year}."],
        ask_agent=["Who sued {f}?", "Which company took {f} to court?", "Which firm filed a lawsuit against {f}?"],
        ask_patient=["Whom did {f} sue?", "Which companies did {f} take to court?", "Which firm was sued by {f}?"],
        extra=["The case was heard in {place}.", "The court ruled within a year.", "The case cost both sides dearly."],
    ),
    Relation(
        "predation", "animal",
        active=["{a} hunts {b}.", "{a} feeds on {b}, catching it at dusk.", "{a} preys on {b} along the shore."],
        passive=["{b} is hunted by {a}.", "{b} is a favourite prey of {a}.", "{b} is often eaten by {a}."],
        near_miss=["{a} and {b} share the same ponds, but {a} leaves {b} alone.",
                   "{a} and {b} compete for the same food but never eat each other."],
        ask_agent=["What eats {f}?", "Which animal hunts {f}?", "What preys on {f}?"],
        ask_patient=["What does {f} eat?", "Which animals does {f} hunt?", "What does {f} prey on?"],
        extra=["Both live on the marshes near {place}.", "This was first recorded in {year}.",
               "Naturalists have watched this for decades."],
    ),
    Relation(
        "teaching", "person",
        active=["{a} taught {b} {craft} in {place}.", "{a} trained {b} in {craft} for {n} years."],
        passive=["{b} learned {craft} from {a}.", "{b} was taught {craft} by {a} in {place}.",
                 "{b} studied {craft} under {a} for {n} years."],
        near_miss=["{a} and {b} both studied {craft} in {place}, under the same teacher.",
                   "{a} and {b} met at a {craft} class in {place} in {year}."],
        ask_agent=["Who taught {f} {craft}?", "From whom did {f} learn {craft}?", "Who was the teacher of {f}?"],
        ask_patient=["Whom did {f} teach {craft}?", "Who learned {craft} from {f}?", "Who were the pupils of {f}?"],
        extra=["The lessons took place in {place}.", "They started in {year}."],
        setting={"craft": ["the cello", "glassblowing", "bookbinding", "the violin", "clockmaking", "fencing"]},
    ),
    Relation(
        "match", "team",
        active=["{a} beat {b} {score} in the {year} cup final.", "{a} defeated {b} {score} at home in {year}.",
                "In {year}, {a} won {score} against {b}."],
        passive=["{b} were beaten {score} by {a} in {year}.", "{b} lost {score} to {a} in the {year} final."],
        near_miss=["{a} and {b} drew {draw} in {year}.",
                   "{a} and {b} were due to meet in {year}, but the match was called off."],
        ask_agent=["Which team beat {f}?", "Who defeated {f}?", "Which side won against {f}?"],
        ask_patient=["Which teams did {f} beat?", "Who did {f} defeat?", "Which sides lost to {f}?"],
        extra=["The crowd was the largest of the season.", "The match was played in the rain."],
    ),
    Relation(
        "supply", "company",
        active=["{a} supplies {goods} to {b}.", "{a} has delivered {goods} to {b} since {year}.",
                "{a} is the main supplier of {goods} to {b}."],
        passive=["{b} buys its {goods} from {a}.", "{b} gets all of its {goods} from {a}."],
        near_miss=["{a} once offered to supply {goods} to {b}, but {b} turned the offer down.",
                   "{a} and {b} both buy their {goods} from the same maker."],
        ask_agent=["Who supplies {goods} to {f}?", "Which company sells {goods} to {f}?",
                   "Where does {f} get its {goods}?"],
        ask_patient=["Which companies does {f} supply with {goods}?", "Who buys {goods} from {f}?",
                     "To whom does {f} sell {goods}?"],
        extra=["The goods travel by rail from {place}.", "The contract runs for {n} years."],
        setting={"goods": ["steel", "glass bottles", "engines", "flour", "paper", "copper wire"]},
    ),
    Relation(
        "river", "river",
        active=["{a} flows into {b} near {place}.", "{a} joins {b} just below {place}.", "{a} is a tributary of {b}."],
        passive=["{b} is fed by {a}.", "Near {place}, {b} receives the waters of {a}."],
        near_miss=["{a} runs beside {b} for several miles, but the two never meet.",
                   "{a} and {b} rise on the same hill and flow apart."],
        ask_agent=["Which river flows into {f}?", "What are the tributaries of {f}?", "Which river joins {f}?"],
        ask_patient=["Which river does {f} flow into?", "What river is {f} a tributary of?",
                     "Which river does {f} join?"],
        extra=["Both are good for trout.", "The valley floods most winters."],
        one_patient=True,
    ),
    Relation(
        "portrait", "person",
        active=["{a} painted a portrait of {b} in {year}.", "In {year}, {a} painted {b} seated by a window.",
                "The best-known portrait by {a} shows {b}."],
        passive=["{b} was painted by {a} in {year}.", "A portrait of {b} by {a} hangs in the gallery at {place}.",
                 "{b} sat for {a} in {year}."],
        near_miss=["{a} and {b} painted side by side in {place} one summer.",
                   "{a} and {b} were both painted by the same artist in {year}."],
        ask_agent=["Who painted {f}?", "Which artist painted a portrait of {f}?", "Who made a portrait of {f}?"],
        ask_patient=["Whom did {f} paint?", "Who sat for {f}?", "Whose portrait did {f} paint?"],
        extra=["The painting was shown in {place} in {year}.", "The portrait took most of a winter to finish."],
    ),
]


# --------------------------------------------------------------------------------------------------
# Family 2: negation ("Which alloys do not corrode in salt water?")
# --------------------------------------------------------------------------------------------------

@dataclass
class Property:
    """A property some members of a category have and others lack."""

    plural: str
    noun: str
    kind: str  # a `Names` method
    base: str  # "corrode in salt water"
    has: str  # "corrodes in salt water"
    lacks: list[str]  # ways of saying a member does not have it
    evidence: str  # "Tests showed"
    extra: list[str]
    pattern: str = "{}"


def default_lacks(base: str, has: str) -> list[str]:
    """The usual ways of denying a property: "does not corrode ...", "never corrodes ..."."""
    return [f"does not {base}", f"never {has}"]


PROPERTIES = [
    Property("alloys", "alloy", "substance", "corrode in salt water", "corrodes in salt water",
             default_lacks("corrode in salt water", "corrodes in salt water"), "Tests showed",
             ["It was developed in {place} in {year}.", "{x} is used for pipes and fittings."]),
    Property("glues", "glue", "company", "hold under water", "holds under water",
             default_lacks("hold under water", "holds under water"), "Tests showed",
             ["It is sold in small tubes.", "{x} sets in about ten minutes."], "{} glue"),
    Property("paints", "paint", "company", "fade in sunlight", "fades in sunlight",
             default_lacks("fade in sunlight", "fades in sunlight"), "Tests showed",
             ["It comes in twelve colours.", "{x} is popular with boat owners."], "{} paint"),
    Property("wheat varieties", "wheat variety", "word", "survive frost", "survives frost",
             default_lacks("survive frost", "survives frost"), "Field trials showed",
             ["It was bred in {place} in {year}.", "{x} gives a good yield on clay soils."], "{} wheat"),
    Property("fabrics", "fabric", "substance", "shrink in a hot wash", "shrinks in a hot wash",
             default_lacks("shrink in a hot wash", "shrinks in a hot wash"), "Tests showed",
             ["It is woven in {place}.", "{x} is used for shirts and sheets."]),
    Property("batteries", "battery", "company", "work below freezing", "works below freezing",
             default_lacks("work below freezing", "works below freezing"), "Tests showed",
             ["It is made in {place}.", "{x} is sold for torches and radios."], "the {} battery"),
    Property("medicines", "medicine", "substance", "cause drowsiness", "causes drowsiness",
             default_lacks("cause drowsiness", "causes drowsiness"), "Trials showed",
             ["It is taken for hay fever.", "{x} was first sold in {year}."]),
    Property("ferries", "ferry", "town", "run in winter", "runs in winter",
             default_lacks("run in winter", "runs in winter"), "The timetable shows",
             ["It crosses the lake in forty minutes.", "{x} carries cars and bicycles."], "the {} ferry"),
    Property("towns", "town", "town", "have a railway station", "has a railway station",
             ["does not have a railway station", "has no railway station"], "The county map shows",
             ["It holds a market every Saturday.", "{x} lies in the hills above {place}."]),
    Property("birds", "bird", "bird", "migrate in winter", "migrates in winter",
             default_lacks("migrate in winter", "migrates in winter"), "Ringing records show",
             ["It nests in hedges.", "{x} was first described in {year}."]),
    Property("inks", "ink", "substance", "dissolve in water", "dissolves in water",
             default_lacks("dissolve in water", "dissolves in water"), "Tests showed",
             ["It is made in {place}.", "{x} is used by printers and mapmakers."], "{} ink"),
    Property("cheeses", "cheese", "town", "contain cow's milk", "contains cow's milk",
             ["does not contain cow's milk", "contains no cow's milk"], "The label shows",
             ["It is aged for six months.", "{x} is sold at the market in {place}."], "{} cheese"),
    Property("bridges", "bridge", "word", "carry cars", "carries cars",
             ["does not carry cars", "carries no cars"], "The town plan shows",
             ["It was built in {year}.", "{x} crosses the river near {place}."], "the {} Bridge"),
    Property("hotels", "hotel", "company", "allow dogs", "allows dogs",
             ["does not allow dogs", "never allows dogs"], "The booking site shows",
             ["It has forty rooms.", "{x} stands near the harbour in {place}."], "the {} Hotel"),
    Property("varnishes", "varnish", "word", "turn yellow with age", "turns yellow with age",
             default_lacks("turn yellow with age", "turns yellow with age"), "Tests showed",
             ["It dries in an hour.", "{x} is used on floors and furniture."], "{} varnish"),
]

HAS_TEMPLATES = ["{x} is {a_noun} that {has}.", "Like most {plural}, {x} {has}.",
                 "{evidence} that {x} {has}.", "{x} was said not to {base}, but it does.",
                 "Many people think {x} does not {base}; in fact it does."]
# About the property in general: every word of both questions, and no answer to either.
NO_ANSWER_TEMPLATES = ["Whether {plural} {base} was argued over at a meeting in {place} in {year}.",
                       ("A survey in {place} asked which {plural} {base} and which do not; "
                        "its results were never published."),
                       "Readers often write in to ask whether {plural} {base}.",
                       "No one has yet made a full list of the {plural} that {base}."]
LACKS_TEMPLATES = ["{x} is {a_noun} that {lacks}.", "Unlike most {plural}, {x} {lacks}.",
                   "{evidence} that {x} {lacks}.", "{x} was expected to {base}, but it does not.",
                   "People often assume that {x} will {base}, but it does not."]


# --------------------------------------------------------------------------------------------------
# Family 3: comparison and direction ("Which town lies north of Aldby?")
# --------------------------------------------------------------------------------------------------

@dataclass
class Dimension:
    """An ordering of a category: `up` and `down` name its two directions."""

    plural: str
    noun: str
    kind: str
    verb: str  # "lies", "is"
    up: str  # "north of"
    down: str  # "south of"
    up_adj: str  # "further north"
    down_adj: str
    extra: list[str]
    pattern: str = "{}"


DIMENSIONS = [
    Dimension("towns", "town", "town", "lies", "north of", "south of", "further north", "further south",
              ["{x} holds a market every Thursday.", "The road between {x} and {y} is narrow."]),
    Dimension("villages", "village", "town", "lies", "east of", "west of", "further east", "further west",
              ["{x} has a small stone church.", "A footpath links {x} and {y}."]),
    Dimension("animals", "animal", "animal", "is", "heavier than", "lighter than", "heavier", "lighter",
              ["{x} lives in the marshes.", "Both animals were weighed in {year}."]),
    Dimension("rivers", "river", "river", "is", "longer than", "shorter than", "longer", "shorter",
              ["{x} rises in the hills above {place}.", "Both rivers were mapped in {year}."]),
    Dimension("mountains", "mountain", "word", "is", "higher than", "lower than", "higher", "lower",
              ["{x} is popular with walkers.", "Snow lies on {x} until May."], "Mount {}"),
    Dimension("ships", "ship", "word", "is", "faster than", "slower than", "faster", "slower",
              ["{x} was launched in {year}.", "Both ships sail from {place}."], "the {}"),
    Dimension("towers", "tower", "word", "is", "taller than", "shorter than", "taller", "shorter",
              ["{x} was finished in {year}.", "Both towers stand in {place}."], "the {} Tower"),
    Dimension("stars", "star", "word", "is", "brighter than", "dimmer than", "brighter", "dimmer",
              ["{x} lies in the northern sky.", "Both stars were catalogued in {year}."]),
    Dimension("minerals", "mineral", "substance", "is", "harder than", "softer than", "harder", "softer",
              ["{x} is mined near {place}.", "Both minerals were first described in {year}."]),
    Dimension("lakes", "lake", "word", "is", "deeper than", "shallower than", "deeper", "shallower",
              ["{x} freezes in hard winters.", "Both lakes lie near {place}."], "Lake {}"),
    Dimension("companies", "company", "company", "is", "older than", "younger than", "older", "younger",
              ["{x} is based in {place}.", "Both firms make furniture."]),
    Dimension("bells", "bell", "word", "is", "louder than", "quieter than", "louder", "quieter",
              ["{x} was cast in {year}.", "Both bells hang in the church at {place}."], "the {} bell"),
    Dimension("wines", "wine", "town", "is", "sweeter than", "drier than", "sweeter", "drier",
              ["{x} is made from late grapes.", "Both wines come from the hills near {place}."], "{} white"),
    Dimension("comets", "comet", "word", "is", "brighter than", "fainter than", "brighter", "fainter",
              ["{x} returns every few decades.", "Both comets were seen in {year}."], "comet {}"),
]

COMPARE_TEMPLATES = ["{x} {verb} {rel} {y}.", "Compared with {y}, {x} {verb} {adj}.",
                     "Of the two, {x} {verb} {adj} than {y}.", "Records confirm that {x} {verb} {rel} {y}."]
COMPARE_QUESTIONS = ["Which {noun} {verb} {rel} {f}?", "What {verb} {rel} {f}?", "Name {a_noun} that {verb} {rel} {f}."]
COMPARE_UNDECIDED = ["Old records disagree on whether {x} {verb} {up} {f} or {down} it.",
                     "Nobody has settled whether {x} {verb} {up} {f} or {down} it.",
                     "Is {x} {up} {f} or {down} it? The guidebooks do not say."]


# --------------------------------------------------------------------------------------------------
# Family 4: two-part questions ("Which company founded in Aldby makes bicycles?")
# --------------------------------------------------------------------------------------------------

@dataclass
class Domain:
    """Items described by two attributes; a query names one value of each.

    Besides plain `facts`, a document may say its facts with a `twist` (also naming another value, {p2} or
    {q2}, in a role that does not count) or with a `rival` (naming both other values, {p2} and {q2}, as the
    facts of someone else): the words of another question, not its answer. A `bystander` document names
    both values of an asked question and answers nothing.
    """

    noun: str
    kind: str
    first: list[str] | None  # values of the first attribute; None: fresh invented towns
    second: list[str]
    facts: list[str]  # {x} has {p} and {q}
    twists: list[str]
    rival: str
    bystander: str  # names {p} and {q} of an asked question, about no item at all
    questions: list[str]
    pattern: str = "{}"


DOMAINS = [
    Domain("company", "company", None,
           ["bicycles", "kettles", "pianos", "clocks", "lamps", "boots", "tiles", "canoes"],
           ["{x}, founded in {p}, makes {q}.", "Founded in {p} in {year}, {x} now makes {q}.",
            "{x} makes {q}. The firm was founded in {p}."],
           ["{x} was founded in {p} and makes {q}; most of its buyers live in {p2}.",
            "{x} makes {q} and has a shop in {p2}, but it was founded in {p}.",
            "{x} was founded in {p} and makes {q}, not {q2}."],
           "{x} was founded in {p} and makes {q}; its rival from {p2} makes {q2}.",
           "Shops in {p} sell {q} made all over the country.",
           ["Which company founded in {p} makes {q}?", "Which firm from {p} makes {q}?"]),
    Domain("musician", "person", None,
           ["cello", "harp", "oboe", "accordion", "trumpet", "flute", "organ", "double bass"],
           ["{x}, born in {p}, plays the {q}.", "Born in {p} in {year}, {x} is known for playing the {q}.",
            "{x} plays the {q} and was born in {p}."],
           ["{x} was born in {p} and plays the {q}, and first performed in {p2}.",
            "{x} plays the {q} in an orchestra based in {p2}, but was born in {p}.",
            "{x}, born in {p}, plays the {q}, not the {q2}."],
           "{x}, born in {p}, plays the {q}; a cousin born in {p2} plays the {q2}.",
           "A concert in {p} in {year} featured the {q}, played by a guest from abroad.",
           ["Which musician born in {p} plays the {q}?", "Who plays the {q} and was born in {p}?"]),
    Domain("bird", "bird", ["reed beds", "sea cliffs", "pine woods", "hedgerows", "old barns", "river banks",
                            "heather moors", "church towers"],
           ["snails", "seeds", "small fish", "beetles", "berries", "moths", "worms", "crabs"],
           ["{x} nests in {p} and eats {q}.", "{x} builds its nest in {p} and feeds mainly on {q}.",
            "{x} feeds on {q} and nests in {p}."],
           ["{x} nests in {p} and eats {q}, though it often roosts in {p2}.",
            "{x} eats {q} and is often seen in {p2}, but it nests in {p}.",
            "{x} nests in {p} and eats {q}, never {q2}."],
           "{x} nests in {p} and eats {q}, while a close relative nests in {p2} and eats {q2}.",
           "Birdwatchers who visit {p} often leave out {q} for passing birds.",
           ["Which bird nests in {p} and eats {q}?", "What bird feeds on {q} and nests in {p}?"]),
    Domain("ship", "word", None, ["timber", "grain", "coal", "salt", "wool", "wine", "cement", "cattle"],
           ["{x} was built in {p} and carries {q}.", "Built in {p} in {year}, {x} now carries {q}.",
            "{x} carries {q}; she was built in {p}."],
           ["{x} was built in {p} and carries {q}, usually unloading in {p2}.",
            "{x} carries {q} from {p2}, but she was built in {p}.",
            "{x} was built in {p} and carries {q}, never {q2}."],
           "{x} was built in {p} and carries {q}; her sister ship, built in {p2}, carries {q2}.",
           "The harbour at {p} handles {q} brought in by foreign ships.",
           ["Which ship built in {p} carries {q}?", "What ship carries {q} and was built in {p}?"], "the {}"),
    Domain("festival", "word", None,
           ["January", "March", "April", "May", "June", "August", "October", "November"],
           ["{x} is held in {p} every {q}.", "Every {q}, {p} hosts {x}.", "{x} takes place in {p} in {q}."],
           ["{x} is held in {p} every {q}, and many visitors come from {p2}.",
            "{x} takes place in {p} in {q}; it started as a fair in {p2}.",
            "{x} is held in {p} in {q}, not in {q2}."],
           "{x} is held in {p} every {q}; a smaller festival follows in {p2} in {q2}.",
           "{p} also holds a large cattle market every {q}.",
           ["Which festival takes place in {p} in {q}?", "What festival is held in {p} every {q}?"], "the {} festival"),
    Domain("scientist", "person", None,
           ["glass", "soil", "bees", "tides", "clouds", "fungi", "lichens", "volcanic ash"],
           ["{x} worked in {p} and studied {q}.", "{x} spent a career in {p} studying {q}.",
            "{x} studied {q} at a laboratory in {p}."],
           ["{x} worked in {p} and studied {q}, after training in {p2}.",
            "{x} studied {q} and lectured in {p2}, but worked in {p}.",
            "{x} worked in {p} and studied {q}, not {q2}."],
           "{x} worked in {p} and studied {q}; a colleague in {p2} studied {q2}.",
           "The museum in {p} has a room about {q}.",
           ["Which scientist worked in {p} and studied {q}?", "Who studied {q} in {p}?"]),
    Domain("dish", "substance", None,
           ["lentils", "plums", "barley", "chestnuts", "trout", "mushrooms", "leeks", "honey"],
           ["{x} is a dish from {p} made with {q}.", "In {p}, cooks make {x} with {q}.",
            "{x}, a speciality of {p}, is made with {q}."],
           ["{x} is a dish from {p} made with {q}; it is also popular in {p2}.",
            "{x} is made with {q} and served in {p2}, but it comes from {p}.",
            "{x} is a dish from {p} made with {q}, never with {q2}."],
           "{x} is a dish from {p} made with {q}; a different stew from {p2} uses {q2}.",
           "The market in {p} sells {q} from local farms.",
           ["Which dish from {p} is made with {q}?", "What dish made with {q} comes from {p}?"], "{} stew"),
    Domain("painter", "person", None,
           ["harbours", "horses", "orchards", "storms", "bridges", "market stalls", "lighthouses", "winter fields"],
           ["{x} lived in {p} and painted {q}.", "{x}, who lived in {p}, is known for paintings of {q}.",
            "{x} painted {q} while living in {p}."],
           ["{x} lived in {p} and painted {q}, and exhibited in {p2}.",
            "{x} painted {q} and sold them in {p2}, but lived in {p}.",
            "{x} lived in {p} and painted {q}, never {q2}."],
           "{x} lived in {p} and painted {q}; a friend who lived in {p2} painted {q2}.",
           "The gallery in {p} shows paintings of {q} by unknown artists.",
           ["Which painter who lived in {p} painted {q}?", "Who painted {q} and lived in {p}?"]),
]


# --------------------------------------------------------------------------------------------------
# Family 5: numbers and dates ("Which breweries in Aldby were founded before 1950?")
# --------------------------------------------------------------------------------------------------

@dataclass
class Measure:
    """A numeric attribute of the items of one place, and a threshold a query asks about."""

    plural: str
    kind: str
    pattern: str
    region: str  # how the place is named, e.g. "in {r}" with a town
    region_kind: str
    facts: list[str]  # with {x}, {region} and {when} (years) or {v} (counts)
    ask_below: str  # answered by the items below the threshold
    ask_above: str
    thresholds: list[int]
    years: bool = True
    spread: tuple[int, int] = (3, 60)  # how far below / above the threshold values fall (counts: a factor range)
    old_note: str = ""  # for a recent item: a sentence naming an earlier year (a trap for "before")
    new_note: str = ""  # for an old item: a sentence naming a later year (a trap for "after")


# About the items of a place together, with a number that answers nothing.
NUMERIC_SURVEYS = ["A guide to the {plural} {region} was published in {year}.",
                   "The council made a list of all the {plural} {region} in {year}."]

MEASURES = [
    Measure("breweries", "company", "{} Brewery", "in {r}", "town",
            ["{x} {region} was founded {when}.", "{x}, a brewery {region}, has brewed beer since {when_bare}.",
             "Founded {when}, {x} {region} brews dark ale."],
            "Which breweries {region} were founded before {t}?", "Which breweries {region} were founded after {t}?",
            [1900, 1925, 1950], old_note="Its brewhouse dates from {w}.", new_note="It was rebuilt in {w}."),
    Measure("bridges", "word", "the {} Bridge", "over {r}", "river",
            ["{x} {region} was built {when}.", "{x}, one of the bridges {region}, dates from {when_bare}.",
             "Work on {x} {region} finished {when}."],
            "Which bridges {region} were built before {t}?", "Which bridges {region} were built after {t}?",
            [1850, 1900, 1925], old_note="It replaced a ford used since {w}.", new_note="It was widened in {w}."),
    Measure("schools", "word", "the {} School", "in {r}", "town",
            ["{x} {region} opened {when}.", "{x}, a school {region}, first took pupils {when}.",
             "{x} {region}, which opened {when}, has two hundred pupils."],
            "Which schools {region} opened before {t}?", "Which schools {region} opened after {t}?",
            [1900, 1950, 1975], old_note="It uses a hall built in {w}.", new_note="A new wing was added in {w}."),
    Measure("football clubs", "word", "{} Athletic", "in {r}", "town",
            ["{x}, a football club {region}, was founded {when}.",
             "{x} {region} has played in blue since it was founded {when}.",
             "Founded {when}, {x} plays on the common {region}."],
            "Which football clubs {region} were founded before {t}?",
            "Which football clubs {region} were founded after {t}?",
            [1900, 1925, 1950], old_note="Its ground was first used in {w}.",
            new_note="It turned professional in {w}."),
    Measure("lighthouses", "word", "the {} Point lighthouse", "on the coast near {r}", "town",
            ["{x} {region} was first lit {when}.", "{x}, {region}, has guided ships since {when_bare}.",
             "Built {when}, {x} {region} is painted white."],
            "Which lighthouses {region} were built before {t}?", "Which lighthouses {region} were built after {t}?",
            [1850, 1875, 1900], old_note="A beacon stood on the site from {w}.",
            new_note="It was automated in {w}."),
    Measure("villages", "town", "{}", "in the {r} valley", "word",
            ["{x}, a village {region}, has about {v} inhabitants.", "{x} {region} is home to roughly {v} people.",
             "Around {v} people live in {x}, {region}."],
            "Which villages {region} have fewer than {t} inhabitants?",
            "Which villages {region} have more than {t} inhabitants?", [2000, 5000], years=False),
    Measure("walking trails", "word", "the {} Trail", "in {r} park", "word",
            ["{x} {region} is {v} km long.", "{x} runs for {v} km through the woods {region}.",
             "At {v} km, {x} {region} is marked with yellow posts."],
            "Which walking trails {region} are shorter than {t} km?",
            "Which walking trails {region} are longer than {t} km?", [10, 20], years=False),
    Measure("towers", "word", "the {} Tower", "in {r}", "town",
            ["{x} {region} stands {v} metres tall.", "{x} rises {v} metres above the main square {region}.",
             "At {v} metres, {x} is easy to spot {region}."],
            "Which towers {region} are shorter than {t} metres?",
            "Which towers {region} are taller than {t} metres?", [50, 100], years=False),
    Measure("firms", "company", "{}", "in {r}", "town",
            ["{x}, a firm {region}, employs {v} people.", "{x} {region} has a staff of {v}.",
             "About {v} people work for {x} {region}."],
            "Which firms {region} employ fewer than {t} people?",
            "Which firms {region} employ more than {t} people?", [500, 1000], years=False),
    Measure("lakes", "word", "Lake {}", "in the {r} hills", "word",
            ["{x} {region} is {v} metres deep.", "{x}, a lake {region}, reaches a depth of {v} metres.",
             "At its deepest, {x} {region} measures {v} metres."],
            "Which lakes {region} are shallower than {t} metres?",
            "Which lakes {region} are deeper than {t} metres?", [40, 80], years=False),
]


# --------------------------------------------------------------------------------------------------
# Family 6: ordinary topical queries (a baseline every ranker can get right)
# --------------------------------------------------------------------------------------------------

# Each topic: title, documents as (text, grade), query. Fields: {town}, {town2}, {company}, {person}, {river}, {year}.
TOPICS = [
    ("The {town} lantern festival",
     [("The {town} lantern festival began in {year}, after a flood left the town without light for a week.", 2),
      ("Every November the people of {town} float paper lanterns down the river to mark the end of the harvest.", 1)],
     "history of the {town} lantern festival"),
    ("Cheese market at {town}",
     [("The weekly cheese market at {town} has been held in the square every Friday since {year}.", 2)],
     "{town} cheese market"),
    ("The {company} glassworks",
     [("The {company} glassworks blows bottles and lamp shades by hand and offers tours to visitors.", 2)],
     "{company} glassworks tours"),
    ("The {town} tram line",
     [("The {town} tram line opened in {year} and still runs its original wooden cars in summer.", 2)],
     "tram line in {town}"),
    ("Flood on {river}",
     [("In {year} {river} burst its banks and flooded the lower streets of {town} for three days.", 2)],
     "{river} flood at {town}"),
    ("{town} botanical garden",
     [("The botanical garden at {town} keeps a glasshouse of rare orchids, open to the public in spring.", 2),
      ("Gardeners at {town} grow more than two hundred kinds of orchid.", 2)],
     "orchids at the {town} botanical garden"),
    ("The {person} telescope",
     [("The telescope built by {person} in {year} stands on the roof of the observatory at {town}.", 2)],
     "telescope built by {person}"),
    ("{town} clock tower",
     [("The clock tower in {town} stopped in {year} and was repaired by a local watchmaker.", 2)],
     "{town} clock tower repair"),
    ("The {company} chocolate factory",
     [("The {company} chocolate factory in {town} makes dark chocolate from beans roasted on site.", 2),
      ("Visitors to the {company} factory can taste chocolate at the end of the tour.", 1)],
     "{company} chocolate factory"),
    ("The {town} library archive",
     [("The archive of the {town} public library holds parish records going back to {old_year}.", 2)],
     "parish records in the {town} library archive"),
    ("Beekeeping in {town}",
     [("Beekeepers in {town} keep more than forty hives on the hills above the town and sell heather honey.", 2)],
     "beekeeping in {town}"),
    ("The {town2} sea wall",
     [("The sea wall at {town2} was raised by a metre in {year} after a winter storm broke through it.", 2),
      ("Walkers follow the sea wall from {town2} to {town} at low tide.", 1)],
     "{town2} sea wall storm damage"),
]


# --------------------------------------------------------------------------------------------------
# Building the clusters
# --------------------------------------------------------------------------------------------------

class Builder:
    """Writes the clusters of every family from one random number generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names = Names(rng)
        self.places = [self.names.town() for _ in range(12)]  # background towns for colour, never asked about

    def fillers(self) -> dict[str, object]:
        """Random colour for templates: a year, a sum of money, a place, a score, a number of years."""
        winner = self.rng.randint(1, 4)
        goals = self.rng.randint(0, 3)
        return {"year": self.rng.randint(1905, 2019), "money": f"{self.rng.randint(2, 90)} million euros",
                "place": self.rng.choice(self.places), "score": f"{winner}-{self.rng.randint(0, winner - 1)}",
                "draw": f"{goals}-{goals}", "n": self.rng.choice(["two", "three", "four", "six"])}

    def maybe_extra(self, pool: Sequence[str], chance: float, **fields: object) -> str:
        """A second sentence from `pool`, or nothing."""
        if not pool or self.rng.random() >= chance:
            return ""
        return " " + say(self.rng.choice(pool), **{**self.fillers(), **fields})

    def finish(self, family: str, docs: list[Doc], queries: list[Query]) -> Cluster:
        """Shuffle the cluster's documents (so relevant ones are not always first) and wrap them up."""
        self.rng.shuffle(docs)
        return Cluster(family, docs, queries)

    # -- roles -------------------------------------------------------------------------------------

    def role_clusters(self, per_relation: int) -> list[Cluster]:
        """`per_relation` clusters for each relation, each with its own setting (goods, craft)."""
        clusters = []
        for relation in RELATIONS:
            settings = {key: self.rng.sample(values, per_relation) for key, values in relation.setting.items()}
            for i in range(per_relation):
                clusters.append(self.role_cluster(relation, {key: values[i] for key, values in settings.items()}))
        return clusters

    def role_cluster(self, relation: Relation, setting: dict[str, str]) -> Cluster:
        """Facts around a focus F (A did it to F, F did it to B, one more) and near misses, asked both ways."""
        make = getattr(self.names, relation.entity)
        focus = make()
        pairs = [(make(), focus), (focus, make())]
        pairs.append((make(), focus) if relation.one_patient or self.rng.random() < 0.5 else (focus, make()))
        docs = []
        for a, b in pairs:
            template = self.rng.choice(relation.active if self.rng.random() < 0.55 else relation.passive)
            text = say(template, a=a, b=b, **self.fillers(), **setting)
            text += self.maybe_extra(relation.extra, 0.4, a=a, b=b, **setting)
            docs.append(Doc(pair_title(a, b), text))
        for template in relation.near_miss:
            other = make()  # a near miss: the two named together, the relation did not happen
            a, b = (focus, other) if self.rng.random() < 0.5 else (other, focus)
            docs.append(Doc(pair_title(a, b), say(template, a=a, b=b, **self.fillers(), **setting)))
        by_agent = [Query(say(self.rng.choice(relation.ask_agent), f=focus, **setting),
                          [(doc, 2) for doc, (_, b) in zip(docs, pairs) if b == focus])]
        by_patient = [Query(say(self.rng.choice(relation.ask_patient), f=focus, **setting),
                            [(doc, 2) for doc, (a, _) in zip(docs, pairs) if a == focus])]
        return self.finish("role", docs, by_agent + by_patient)

    # -- negation ----------------------------------------------------------------------------------

    def negation_cluster(self, prop: Property) -> Cluster:
        """Five members, two or three lacking the property, plus general documents; asked both ways."""
        names = [self.names.make(prop.kind, prop.pattern) for _ in range(5)]
        lacking = self.rng.choice([2, 3])
        flags = [True] * lacking + [False] * (len(names) - lacking)
        self.rng.shuffle(flags)
        fields = {"plural": prop.plural, "a_noun": article(prop.noun), "base": prop.base, "has": prop.has,
                  "evidence": prop.evidence}
        members = []
        for name, lacks in zip(names, flags):
            template = self.rng.choice(LACKS_TEMPLATES if lacks else HAS_TEMPLATES)
            text = say(template, x=name, lacks=self.rng.choice(prop.lacks), **fields)
            text += self.maybe_extra(prop.extra, 0.5, x=name)
            title = cap(name) if prop.noun.split()[-1] in name.lower() else f"{cap(name)} ({prop.noun})"
            members.append(Doc(title, text))
        general = [Doc(cap(prop.plural), say(template, **fields, **self.fillers()))
                   for template in self.rng.sample(NO_ANSWER_TEMPLATES, self.rng.choice([1, 2]))]
        negative = self.rng.choice(["Which {plural} do not {base}?", "{plural} that do not {base}",
                                    "Name {a_noun} that does not {base}."])
        positive = self.rng.choice(["Which {plural} {base}?", "{plural} that {base}", "Name {a_noun} that {has}."])
        queries = [Query(say(negative, **fields), [(d, 2) for d, lacks in zip(members, flags) if lacks]),
                   Query(say(positive, **fields), [(d, 2) for d, lacks in zip(members, flags) if not lacks])]
        docs = members + general
        return self.finish("negation", docs, queries)

    # -- comparison --------------------------------------------------------------------------------

    def comparison_cluster(self, dim: Dimension) -> Cluster:
        """Four comparisons with a focus F, two each way (one of each read backwards), plus undecided ones."""
        focus, above, above2, below, below2 = (self.names.make(dim.kind, dim.pattern) for _ in range(5))

        def statement(x: str, y: str, upward: bool) -> Doc:
            rel, adj = (dim.up, dim.up_adj) if upward else (dim.down, dim.down_adj)
            text = say(self.rng.choice(COMPARE_TEMPLATES), x=x, y=y, verb=dim.verb, rel=rel, adj=adj)
            text += self.maybe_extra(dim.extra, 0.4, x=x, y=y)
            return Doc(pair_title(x, y), text)

        up_direct = statement(above, focus, True)  # "A lies north of F": A answers "north of F"
        up_inverse = statement(focus, above2, False)  # "F lies south of A2": A2 answers it too, read backwards
        down_direct = statement(below, focus, False)
        down_inverse = statement(focus, below2, True)  # same words as "... north of F", the other meaning
        undecided = []  # both directions named, neither asserted
        for template in self.rng.sample(COMPARE_UNDECIDED, self.rng.choice([1, 2])):
            other = self.names.make(dim.kind, dim.pattern)
            undecided.append(Doc(pair_title(other, focus), say(template, x=other, f=focus, verb=dim.verb,
                                                               up=dim.up, down=dim.down)))
        docs = [up_direct, up_inverse, down_direct, down_inverse, *undecided]
        fields = {"noun": dim.noun, "a_noun": article(dim.noun), "verb": dim.verb, "f": focus}
        queries = [Query(say(self.rng.choice(COMPARE_QUESTIONS), rel=dim.up, **fields),
                         [(up_direct, 2), (up_inverse, 1)]),
                   Query(say(self.rng.choice(COMPARE_QUESTIONS), rel=dim.down, **fields),
                         [(down_direct, 2), (down_inverse, 1)])]
        return self.finish("comparison", docs, queries)

    # -- two-part questions ------------------------------------------------------------------------

    def multi_clusters(self, per_domain: int) -> list[Cluster]:
        """`per_domain` clusters for each domain, with values never shared between a domain's clusters."""
        clusters = []
        for domain in DOMAINS:
            firsts = ([self.names.town() for _ in range(2 * per_domain)] if domain.first is None
                      else self.rng.sample(domain.first, 2 * per_domain))
            seconds = self.rng.sample(domain.second, 2 * per_domain)
            for i in range(per_domain):
                clusters.append(self.multi_cluster(domain, firsts[2 * i:2 * i + 2], seconds[2 * i:2 * i + 2]))
        return clusters

    def multi_cluster(self, domain: Domain, firsts: list[str], seconds: list[str]) -> Cluster:
        """One item for each pair of values (2 x 2) and a bystander; two of the pairs are asked."""
        docs: dict[tuple[str, str], Doc] = {}
        for p in firsts:
            for q in seconds:
                name = self.names.make(domain.kind, domain.pattern)
                roll = self.rng.random()
                template = (domain.rival if roll < 0.45 else self.rng.choice(domain.twists) if roll < 0.8
                            else self.rng.choice(domain.facts))
                p2 = next(v for v in firsts if v != p)  # the other value of each attribute
                q2 = next(v for v in seconds if v != q)
                docs[p, q] = Doc(cap(name), say(template, x=name, p=p, q=q, p2=p2, q2=q2, **self.fillers()))
        asked = self.rng.sample(list(docs), 2)
        queries = [Query(say(self.rng.choice(domain.questions), p=p, q=q), [(docs[p, q], 2)]) for p, q in asked]
        p, q = self.rng.choice(asked)
        bystander = Doc(cap(p), say(domain.bystander, p=p, q=q, **self.fillers()))
        return self.finish("multi", [*docs.values(), bystander], queries)

    # -- numbers and dates -------------------------------------------------------------------------

    def numeric_cluster(self, measure: Measure) -> Cluster:
        """Five items of one place on both sides of a threshold, and a survey; asked below and above."""
        region = measure.region.format(r=self.names.make(measure.region_kind))
        threshold = self.rng.choice(measure.thresholds)
        low = self.rng.choice([2, 3])
        values = [self.value(measure, threshold, below=i < low) for i in range(5)]
        decade = self.rng.randrange(len(values)) if measure.years and self.rng.random() < 0.6 else -1
        docs = []
        for i, value in enumerate(values):
            name = self.names.make(measure.kind, measure.pattern)
            when, grade = str(value), 2
            start = value // 10 * 10
            if i == decade and start % 100 and (start + 9 < threshold if value < threshold else start > threshold):
                when, grade = f"the {start}s", 1  # the whole decade is on the same side of the threshold
            text = say(self.rng.choice(measure.facts), x=name, region=region, when=f"in {when}", when_bare=when,
                       v=f"{value:,}")
            if measure.years and self.rng.random() < 0.5:  # a second year, on the other side of the threshold
                if value > threshold and measure.old_note:
                    text += " " + say(measure.old_note, w=self.rng.randint(threshold - 60, threshold - 5))
                elif value < threshold and measure.new_note:
                    text += " " + say(measure.new_note, w=self.rng.randint(threshold + 5, min(2019, threshold + 80)))
            docs.append((Doc(cap(name), text), grade, value))
        survey = Doc(cap(f"{measure.plural} {region}"),
                     say(self.rng.choice(NUMERIC_SURVEYS), plural=measure.plural, region=region, **self.fillers()))
        queries = [Query(say(measure.ask_below, region=region, t=threshold),
                         [(d, g) for d, g, v in docs if v < threshold]),
                   Query(say(measure.ask_above, region=region, t=threshold),
                         [(d, g) for d, g, v in docs if v > threshold])]
        return self.finish("numeric", [*(d for d, _, _ in docs), survey], queries)

    def value(self, measure: Measure, threshold: int, below: bool) -> int:
        """A year or a count clearly on one side of `threshold`."""
        if measure.years:
            near, far = measure.spread
            offset = self.rng.randint(near, far)
            return threshold - offset if below else min(2019, threshold + offset)
        factor = self.rng.uniform(0.3, 0.9) if below else self.rng.uniform(1.1, 2.5)
        step = 50 if threshold >= 1000 else 10 if threshold >= 100 else 1
        value = round(threshold * factor / step) * step
        return value if value != threshold else threshold + (-step if below else step)

    # -- topical -----------------------------------------------------------------------------------

    def topical_cluster(self, topic: tuple[str, list[tuple[str, int]], str]) -> Cluster:
        """One plain topic with its documents and query."""
        title, texts, query = topic
        used = title + query + "".join(text for text, _ in texts)
        fields: dict[str, object] = {"year": self.rng.randint(1890, 2015), "old_year": self.rng.randint(1550, 1790)}
        for key, make in (("town", self.names.town), ("town2", self.names.town), ("company", self.names.company),
                          ("person", self.names.person), ("river", self.names.river)):
            if "{" + key + "}" in used:
                fields[key] = make()
        docs = [(Doc(say(title, **fields), say(text, **fields)), grade) for text, grade in texts]
        return self.finish("topical", [d for d, _ in docs], [Query(query.format(**fields), docs)])


# --------------------------------------------------------------------------------------------------
# Splitting and writing
# --------------------------------------------------------------------------------------------------

FAMILIES = {
    "role": (
        "Roles and word order",
        ('who did what to whom. "Which company bought F?" is answered by "A acquired F" and "F was bought by C"; '
         '"F bought B" uses the same words with the roles swapped, and two near misses name F with another entity '
         'in a relation that did not happen ("A tried to buy F, but the deal collapsed").'),
    ),
    "negation": (
        "Negation",
        ('"Which X do not P?" and "Which X P?" over the same five members: those that lack the property answer one, '
         'those that have it the other, in phrasings with "not", "never", "no" and turns such as "was said not to P, '
         'but it does". One or two general documents restate the question and answer neither.'),
    ),
    "comparison": (
        "Comparison and direction",
        ('"Which town lies north of F?" vs "south of F". "A lies north of F" answers it (grade 2), and so does "F '
         'lies south of A" read backwards (grade 1); "F lies north of B" has the same words and the opposite meaning, '
         'and "whether A lies north of F or south of it" answers nothing.'),
    ),
    "multi": (
        "Two-part questions",
        ('"Which company founded in P makes Q?": one document meets both conditions; the others meet one, and often '
         'name the missing value in a role that does not count ("makes Q2, not Q", "its rival from P2 makes Q2", '
         '"has a shop in P"). A bystander document names P and Q and no item at all.'),
    ),
    "numeric": (
        "Numbers and dates",
        ("before/after a year, fewer/more than a count, over five items of one place that differ only in the number. "
         "Some give a decade (grade 1) or mention a second year on the other side of the threshold as a trap."),
    ),
    "topical": (
        "Ordinary topical queries",
        "plain keyword searches with one or two clearly on-topic documents: a baseline every ranker gets right.",
    ),
}
PREFIX = {"role": "role", "negation": "neg", "comparison": "cmp", "multi": "multi", "numeric": "num",
          "topical": "topic"}


def build(rng: random.Random) -> list[Cluster]:
    """Every cluster of every family."""
    builder = Builder(rng)
    clusters = builder.role_clusters(per_relation=3)
    clusters += [builder.negation_cluster(prop) for prop in PROPERTIES]
    clusters += [builder.comparison_cluster(dim) for dim in DIMENSIONS]
    clusters += builder.multi_clusters(per_domain=2)
    clusters += [builder.numeric_cluster(measure) for measure in MEASURES]
    clusters += [builder.topical_cluster(topic) for topic in TOPICS]
    return clusters


def assign_ids(clusters: list[Cluster]) -> None:
    """Number documents and queries within each family, in cluster order."""
    for family, prefix in PREFIX.items():
        members = [c for c in clusters if c.family == family]
        docs = [d for c in members for d in c.docs]
        queries = [q for c in members for q in c.queries]
        for n, doc in enumerate(docs, 1):
            doc.id = f"{prefix}-d{n:03d}"
        for n, query in enumerate(queries, 1):
            query.id = f"{prefix}-q{n:02d}"


def split(clusters: list[Cluster], rng: random.Random) -> dict[str, list[Query]]:
    """About `TEST_SHARE` of each family's queries for test, whole clusters at a time; the rest for train."""
    splits: dict[str, list[Query]] = {"train": [], "test": []}
    for family in PREFIX:
        members = [c for c in clusters if c.family == family]
        rng.shuffle(members)
        goal = round(TEST_SHARE * sum(len(c.queries) for c in members))
        taken = 0
        for cluster in members:
            name = "test" if taken < goal else "train"
            taken += len(cluster.queries) if name == "test" else 0
            splits[name].extend(cluster.queries)
    return {name: sorted(queries, key=lambda q: q.id) for name, queries in splits.items()}


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> None:
    """Write one JSON object per line."""
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def write_qrels(path: Path, queries: list[Query]) -> int:
    """Write one split's judgements; return how many there are."""
    rows = [(q.id, doc.id, grade) for q in queries for doc, grade in sorted(q.relevant, key=lambda r: r[0].id)]
    path.write_text("query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{g}\n" for q, d, g in rows), encoding="utf-8")
    return len(rows)


def check(clusters: list[Cluster]) -> None:
    """Fail loudly if a query has nothing relevant or two ids collide."""
    docs = [d for c in clusters for d in c.docs]
    queries = [q for c in clusters for q in c.queries]
    assert len({d.id for d in docs}) == len(docs), "duplicate document id"
    assert len({q.id for q in queries}) == len(queries), "duplicate query id"
    assert len({q.text for q in queries}) == len(queries), "duplicate query text"
    for q in queries:
        assert q.relevant, f"{q.id} has no relevant document"


def words(text: str) -> set[str]:
    """The lower-case words of `text`."""
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def example(cluster: Cluster, query: Query) -> str:
    """A README bullet: the query, its relevant documents and the distractor sharing most of its words."""
    relevant = [doc for doc, _ in query.relevant]
    others = [doc for doc in cluster.docs if doc not in relevant]
    lines = [f"- `{query.id}` **{query.text}**"]
    lines += [f"  - relevant ({grade}), `{doc.id}`: {doc.text}" for doc, grade in query.relevant]
    if others:
        distractor = max(others, key=lambda doc: len(words(query.text) & words(doc.text)))
        lines.append(f"  - distractor, `{distractor.id}`: {distractor.text}")
    return "\n".join(lines)


def readme(clusters: list[Cluster], splits: dict[str, list[Query]], judgements: dict[str, int]) -> str:
    """The dataset's README, with its counts."""
    docs = [d for c in clusters for d in c.docs]
    train_ids = {q.id for q in splits["train"]}
    rows = []
    for family, prefix in PREFIX.items():
        members = [c for c in clusters if c.family == family]
        queries = [q for c in members for q in c.queries]
        train = sum(q.id in train_ids for q in queries)
        name, what = FAMILIES[family]
        rows.append(f"| {name} | `{prefix}-` | {sum(len(c.docs) for c in members)} | {train} | "
                    f"{len(queries) - train} | {what} |")
    words = [len(d.text.split()) for d in docs]
    examples = []
    for family in PREFIX:
        cluster, query = next((c, q) for c in clusters if c.family == family
                              for q in c.queries if q.id not in train_ids)
        examples.append(example(cluster, query))
    table = "\n".join(rows)
    example_lines = "\n".join(examples)
    return f"""# Lesson data: read the query and the document together

A small retrieval dataset, written for Encoder Arena, that shows why a cross-encoder (which reads
query and document together) beats a bi-encoder (which embeds them apart). Every query has **hard
distractors**: documents that share almost all of its words but mean something else. Averaging token
vectors blurs the difference; reading the pair together does not.

All text is invented: template sentences over invented companies, people, towns, rivers, alloys,
animals and so on. Nothing is copied from a public dataset, and the facts are fiction. The same terms
as the rest of the project apply (see `sample_data/README.md`).

## How it was made

```bash
python scripts/make_lesson_data.py          # writes sample_data/lesson/ (seeded: random.Random({SEED}))
```

The script uses the standard library only and always writes the same files. Edit the script, not
the files.

## Counts

| | Count |
|---|---|
| Documents | {len(docs)} (1–3 sentences, {min(words)}–{max(words)} words) |
| Queries | {len(splits['train']) + len(splits['test'])} |
| Train queries (`qrels/train.tsv`) | {len(splits['train'])} ({judgements['train']} judgements) |
| Test queries (`qrels/test.tsv`) | {len(splits['test'])} ({judgements['test']} judgements) |

Every query is judged in exactly one split. The split is by cluster (the documents built around one
combination of entities, and the queries asked of them), about {TEST_SHARE:.0%} of each family for test:
test and training queries follow the same patterns over different entities, so a model fine-tuned on
train is tested fairly. Grades: **2** the document answers the query; **1** it answers it only
indirectly (a comparison read backwards, a decade instead of a year). Unlisted documents are not
relevant; the hard distractors are among them.

## Query families

| Family | Ids | Documents | Train | Test | What it tests |
|---|---|---:|---:|---:|---|
{table}

Examples from the test split (the relevant documents, with grades, and the unjudged document in the
same cluster that shares most words with the query):

{example_lines}

## Use

Meant for the app's one-click demo and for fine-tuning: train on `qrels/train.tsv` (the unjudged
documents of a training query's cluster make natural hard negatives) and evaluate on `qrels/test.tsv`,
e.g. `python -m core compare sample_data/lesson --split test --out /tmp/lesson`.

{MEASURED}

## Files

BEIR format: `corpus.jsonl` (`{{"_id", "title", "text"}}`), `queries.jsonl` (`{{"_id", "text", "metadata":
{{"family"}}}}`: the Analysis page slices the metrics by family) and
`qrels/train.tsv`, `qrels/test.tsv` (`query-id<TAB>corpus-id<TAB>score`, with a header).
"""


def main(argv: list[str] | None = None) -> None:
    """Build, check, split and write the dataset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write (default: sample_data/lesson)")
    out = parser.parse_args(argv).out
    rng = random.Random(SEED)
    clusters = build(rng)
    assign_ids(clusters)
    check(clusters)
    splits = split(clusters, rng)
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    docs = sorted((d for c in clusters for d in c.docs), key=lambda d: d.id)
    queries = sorted((q for c in clusters for q in c.queries), key=lambda q: q.id)
    write_jsonl(out / "corpus.jsonl", [{"_id": d.id, "title": d.title, "text": d.text} for d in docs])
    family = {q.id: FAMILIES[c.family][0] for c in clusters for q in c.queries}
    write_jsonl(out / "queries.jsonl", [{"_id": q.id, "text": q.text, "metadata": {"family": family[q.id]}}
                                        for q in queries])
    judgements = {name: write_qrels(out / "qrels" / f"{name}.tsv", members) for name, members in splits.items()}
    (out / "README.md").write_text(readme(clusters, splits, judgements), encoding="utf-8")
    print(f"{out}: {len(docs)} documents, {len(queries)} queries "
          f"({len(splits['train'])} train, {len(splits['test'])} test)")


if __name__ == "__main__":
    main()
