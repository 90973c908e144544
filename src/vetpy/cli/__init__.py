"""The command-line interface: ``main`` plus one small module per subcommand."""
