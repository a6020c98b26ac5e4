"""``python -m gis``: the command line (see ``python -m gis --help``)."""

from gis.cli import main

raise SystemExit(main())
