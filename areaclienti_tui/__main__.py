"""`python -m areaclienti_tui`: the same as the `areaclienti-tui` command."""

import sys

from areaclienti_tui.cli import main

sys.exit(main())
