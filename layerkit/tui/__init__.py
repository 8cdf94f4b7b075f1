"""The annotation TUI (``layerkit annotate``), built on Textual.

Textual repaints on a fixed frame grid (``TEXTUAL_FPS``, 60 by default), so a keypress waits up
to 16.7 ms for the frame that shows it, whatever it costs to handle. 240 frames a second cut
that wait to 4 ms; the frame timer only runs while something needs repainting, and a key's
whole result is painted in one frame (``layerkit.tui.frames``), so the finer grid costs no more
paints. A value already set in the environment wins. It must be set before Textual is imported,
hence here.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "240")

from layerkit.tui.app import LayerkitApp, create_app

__all__ = ["LayerkitApp", "create_app"]
