"""discord.py extensions: Discord glue only. Modules named `_*` are helpers, not extensions."""
