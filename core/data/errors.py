"""The errors the data readers raise, and how their messages quote the input.

Every problem with a corpus, queries or qrels file is a :class:`DataError` that names the file, the line and the
problem; a :class:`FieldError` is the one a caller can act on, by mapping the missing field to a key it offers.
`shown`, `listed` and `lines_listed` shorten what a message quotes from the input (ids and headers can be
megabytes long). This module imports nothing else of the package.
"""

from collections.abc import Iterable

SHOWN_CHARS = 40
"""How much of an id, header or value from the input a message quotes."""
_SHOWN_LINES = 10
_FIELD_CHOICES = 100  # keys a FieldError offers for mapping; longer names cannot be a field anyone maps


class DataError(ValueError):
    """Bad input: names the file, the line (1-based, None if not line-specific) and the problem.

    Example:
        >>> str(DataError("corpus.csv", "empty text for id 'd3'", line=4))
        "corpus.csv, line 4: empty text for id 'd3'"
    """

    def __init__(self, source: str, problem: str, line: int | None = None) -> None:
        super().__init__(source, problem, line)
        self.source = source
        self.problem = problem
        self.line = line

    def __str__(self) -> str:
        source = self.source if len(self.source) <= 80 else f"{self.source[:45]}…{self.source[-30:]}"
        where = source if self.line is None else f"{source}, line {self.line}"
        return f"{where}: {self.problem}"


class FieldError(DataError):
    """A record or header lacks a required field (id or text).

    Attributes:
        field: The missing field, ``"id"`` or ``"text"``.
        keys: The keys (JSONL) or columns (CSV, TSV, Parquet) found instead, in file order, each once,
            at most 100 and none longer than 100 characters: what a caller can offer to map it to.
    """

    def __init__(self, source: str, problem: str, line: int | None, field: str, keys: Iterable[str]) -> None:
        keys = tuple(dict.fromkeys(key for key in keys if len(key) <= _FIELD_CHOICES))[:_FIELD_CHOICES]
        super().__init__(source, problem, line)
        self.args = (source, problem, line, field, keys)  # what pickling passes back to __init__
        self.field = field
        self.keys = keys


def shown(value: str, chars: int = SHOWN_CHARS) -> str:
    """`value` quoted for a message, shortened to `chars` characters (ids and headers can be megabytes)."""
    return repr(value if len(value) <= chars else value[: chars - 1] + "…")


def listed(values: Iterable[str], most: int = 8) -> str:
    """Up to `most` values quoted with `shown`, then how many more; "none" when empty."""
    values = list(values)
    quoted = ", ".join(shown(value) for value in values[:most])
    more = f", … ({len(values):,} in all)" if len(values) > most else ""
    return quoted + more if values else "none"


def lines_listed(lines: list[int], most: int = _SHOWN_LINES) -> str:
    """"line 4", or "lines 4, 9, 12", with "…" after the first `most`."""
    numbers = ", ".join(map(str, lines[:most])) + (", …" if len(lines) > most else "")
    return f"line{'s' if len(lines) > 1 else ''} {numbers}"
