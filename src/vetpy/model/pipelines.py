"""Where models saved before the lab split name their meta-learner (the bundled default among them): skops
rebuilds ``vetpy.model.pipelines.FprThresholdLogistic``; the class lives in :mod:`vetpy.model.columns`."""

from vetpy.model.columns import FprThresholdLogistic

__all__ = ["FprThresholdLogistic"]
