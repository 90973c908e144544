"""`python -m vetpy` runs the command-line interface."""

from vetpy.cli.main import main

raise SystemExit(main())
