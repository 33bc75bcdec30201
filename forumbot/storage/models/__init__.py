"""All ORM models, imported here so that Alembic's autogenerate and `check` see every table."""

from forumbot.storage.models.archive import Article, ArticleRevision, ArticleTag, Comment, Passage
from forumbot.storage.models.base import Base

__all__ = ["Article", "ArticleRevision", "ArticleTag", "Base", "Comment", "Passage"]
