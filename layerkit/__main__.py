import sys

from layerkit.cli import run

sys.exit(run())
