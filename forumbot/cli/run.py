"""`forumbot run`: migrations, then the bot (or the local sandbox demo without a token)."""
