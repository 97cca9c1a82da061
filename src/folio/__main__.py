"""``python -m folio``."""

import sys

from folio.cli import main

sys.exit(main())
