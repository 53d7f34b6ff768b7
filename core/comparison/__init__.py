"""One comparison from spec to result: run it (in this process or in the background), its result types, its
colours, the server's line for the CPU, and finished comparisons saved or cached on disk."""
