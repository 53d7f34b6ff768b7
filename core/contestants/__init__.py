"""Contestants: what a comparison runs (specs) and the one registry of the kinds they can be."""
