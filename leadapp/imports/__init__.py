"""imports feature."""
