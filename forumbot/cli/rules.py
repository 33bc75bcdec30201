"""`forumbot rules ...`: civility rules from the command line."""
