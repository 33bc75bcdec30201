"""`forumbot load | articles | search | cite`: the archive from the command line."""
