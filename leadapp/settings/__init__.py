"""settings feature: the settings hub and each user's own account."""
