"""assignment feature: ordered rules that pick an owner for new leads."""
