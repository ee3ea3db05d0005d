"""pipeline feature."""
