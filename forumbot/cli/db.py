"""`forumbot db ...`: database migrations."""
