"""What a finished comparison says beyond its metrics: sweeps of depth and cost, trade-off points, questions asked
live and the words each model weighed."""
