"""forumbot: an archive of articles, posted to Discord forum threads and moderated civilly."""

__version__ = "0.1.0"
