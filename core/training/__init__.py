"""Training recipes for the embedded cross-encoder and poly-encoder (`python -m core train ...`)."""
