"""`python -m closegate` runs the CLI, for environments where the console script is not on PATH."""

from closegate.cli import main

main()
