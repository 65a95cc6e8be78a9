"""Run the command line as ``python -m wxbot.cli``."""

from . import cli

cli()
