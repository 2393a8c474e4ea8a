"""Helpers every floor of the package may use (pure Python, nothing of snnet_mm imported)."""
