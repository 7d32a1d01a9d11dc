"""One module per command (or command group) of the CLI."""
