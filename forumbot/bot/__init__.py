"""The Discord glue that is not a cog: the discord.py Bot (`client`), the services container
handed to it (`services`), start-up and logging (`runtime`), Discord's HTTP interactions
endpoint (`endpoint`), the local demo (`demo`) and the bot's own small stored state (`state`).
Nothing is re-exported here, so importing `forumbot.bot.services` does not load discord.py."""
