"""One module per kind of contestant, all behind `core.rankers.base.Ranker`; each declares its `KIND`
(registered in `core.contestants.registry`)."""

from core.rankers.base import Ranker, Timings
from core.rankers.bi_encoder import BiEncoderRanker
from core.rankers.bm25 import BM25Ranker
from core.rankers.cross_encoder import CrossEncoderRanker
from core.rankers.poly_encoder import PolyEncoderRanker

__all__ = ["BM25Ranker", "BiEncoderRanker", "CrossEncoderRanker", "PolyEncoderRanker", "Ranker", "Timings"]
