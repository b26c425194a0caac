"""``python -m simex``: serve the simulated exchange."""

import sys

from simex.server import main

sys.exit(main())
