"""LoRA fine-tuning on a curriculum directory, one stage after another (``layerkit train``).

Importing this package is cheap and needs no torch: the config and the curriculum reader are
plain Python, and the modules that need the ``train`` extra (torch, transformers, peft) are
imported by the commands when they run. Entry points: :func:`layerkit.train.loop.train`,
:class:`layerkit.train.config.TrainConfig`, :mod:`layerkit.train.inference` (merge, ask).
"""

from layerkit.train.config import TrainConfig, build_config
from layerkit.train.curriculum_reader import Curriculum

__all__ = ["Curriculum", "TrainConfig", "build_config"]
