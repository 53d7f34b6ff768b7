"""Relevance judged in the app: pools to judge, blind head-to-head votes, and judgements that become qrels."""
