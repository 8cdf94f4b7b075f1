"""layerkit: layered annotation of Russian text and hierarchical SFT curricula.

Plugins mark their hook functions with ``@layerkit.hookimpl`` (or
``from layerkit import hookimpl``); see docs/plugins.md.
"""

from layerkit.plugin.specs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
