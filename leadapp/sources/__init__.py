"""sources feature."""
