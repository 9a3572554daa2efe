"""customs-risk: the shared core (settings, command line, stage entry points) that the DAGs and the CLI both call."""
