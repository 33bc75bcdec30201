"""Documents (.txt, .md with YAML front matter, .html) -> ParsedArticle values.

Pure code: no Discord, no database. See `document.parse_document` for the entry point and
`shapes` for how a page is cut into articles.
"""

from .document import SUPPORTED_SUFFIXES, display_name, parse_document
from .errors import IngestError
from .paths import iter_document_paths

__all__ = [
    "SUPPORTED_SUFFIXES",
    "IngestError",
    "display_name",
    "iter_document_paths",
    "parse_document",
]
