"""One module per ranking architecture, all behind `core.rankers.base.Ranker`."""

from core.rankers.base import Ranker, Run, Timings
from core.rankers.bi_encoder import BiEncoderRanker
from core.rankers.bm25 import BM25Ranker
from core.rankers.cross_encoder import CrossEncoderRanker, PairScorer, SentenceTransformersCrossEncoder
from core.rankers.joint_cross_encoder import JointCrossEncoder
from core.rankers.poly_encoder import PolyEncoder, PolyEncoderRanker

__all__ = ["BM25Ranker", "BiEncoderRanker", "CrossEncoderRanker", "JointCrossEncoder", "PairScorer", "PolyEncoder",
           "PolyEncoderRanker", "Ranker", "Run", "SentenceTransformersCrossEncoder", "Timings"]
