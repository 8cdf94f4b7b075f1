"""The annotation TUI (``layerkit annotate``), built on Textual.

Textual repaints on a fixed frame grid (``TEXTUAL_FPS``, 60 by default), so a keypress waits up
to 16.7 ms for the frame that shows it, whatever it costs to handle. 120 frames a second halve
that wait; the frame timer only runs while something needs repainting, so an idle app costs
nothing more. A value already set in the environment wins. It must be set before Textual is
imported, hence here.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")

from layerkit.tui.app import LayerkitApp, create_app

__all__ = ["LayerkitApp", "create_app"]
