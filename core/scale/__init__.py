"""Corpora past one machine: document encoding and index building as a Ray Data job (or the same code in this
process), written to Parquet and a FAISS index that `compare --index` and the app open instead of encoding."""
