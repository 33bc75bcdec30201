"""The Discord glue that is not a cog: the discord.py Bot (`client`), start-up wiring and
logging (`runtime`), Discord's HTTP interactions endpoint (`endpoint`), the local demo (`demo`)
and the bot's own small stored state (`state`)."""
