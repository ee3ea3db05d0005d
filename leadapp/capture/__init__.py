"""capture feature."""
