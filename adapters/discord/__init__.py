"""Discord adapter (discord.py)."""
