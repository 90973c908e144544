"""``vetpy watch``: follow an index's new releases, scan each new file, append JSON lines, alert."""

from vetpy.watch.checkpoint import Checkpoint, CheckpointStore, checkpoint_path
from vetpy.watch.feed import SimpleFeed
from vetpy.watch.watcher import Watcher

__all__ = ["Checkpoint", "CheckpointStore", "SimpleFeed", "Watcher", "checkpoint_path"]
