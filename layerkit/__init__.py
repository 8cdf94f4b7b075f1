"""layerkit: layered annotation of Russian text and hierarchical SFT curricula."""

__version__ = "0.1.0"
