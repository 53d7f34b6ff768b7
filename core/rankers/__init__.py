"""One module per kind of contestant, all behind `core.rankers.base.Ranker`; each kind is declared in
`core.contestants.kinds`, which names the module that implements it (imported when first used)."""
