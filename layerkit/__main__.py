import sys

from layerkit.cli import main

sys.exit(main())
