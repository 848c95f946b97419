"""``python -m suggestfilter`` runs the command line."""

import sys

from suggestfilter.cli import main

sys.exit(main())
