"""discord.py extensions: Discord glue only. Modules starting with `_` are helpers, not extensions."""
