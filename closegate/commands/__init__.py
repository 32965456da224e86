"""The CLI's commands, one module per command group; `closegate.cli` lists them explicitly."""
