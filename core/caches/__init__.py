"""Disk and memory caches shared by every process and session: corpus embeddings, pair scores, atomic writes."""
