"""The archive: search (the same search as /search), an article with numbered passages and a
stable link per passage (#p<number>), and its forum post link. Everyone in the guild may read
it, as everyone may use /search."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from pathlib import PurePath

from aiohttp import web
from aiohttp.web_request import FileField

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest.document import parse_document
from forumbot.domain.ingest.errors import IngestError
from forumbot.services.errors import InvalidInput
from forumbot.web.access import MemberAccess
from forumbot.web.views import (
    ctx,
    field,
    form,
    guild_access,
    int_param,
    rate_limit,
    redirect,
    render,
)

PER_PAGE = 10
PREVIEW_ARTICLES = 10
LIST_ARTICLES = 100
MAX_PAGES = 20


async def search(request: web.Request) -> web.Response:
    access = await guild_access(request, "member")
    query = request.query.get("q", "").strip()[:300]
    page = request.query.get("page", "1")
    page_no = int(page) if page.isdigit() and 1 <= int(page) <= MAX_PAGES else 1
    hits = []
    if query:
        await rate_limit(request, "search", 30, 60)
        hits = await ctx(request).archive.search(
            query, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE, guild_id=access.guild_id
        )
        articles = None
    else:
        # The newest articles (search finds the rest): a bounded page on any archive.
        articles = await ctx(request).archive.recent_articles(
            LIST_ARTICLES, guild_id=access.guild_id
        )
    return render(
        request,
        "archive.html",
        access=access,
        query=query,
        hits=hits,
        page=page_no,
        more=len(hits) == PER_PAGE and page_no < MAX_PAGES,
        articles=articles,
    )


async def article(request: web.Request) -> web.Response:
    access = await guild_access(request, "member")
    article_id = int_param(request, "aid")
    record = await ctx(request).archive.article(article_id, guild_id=access.guild_id)
    publication = await ctx(request).publishing.publication(access.guild_id, article_id)
    post_url = (
        f"https://discord.com/channels/{access.guild_id}/{publication.thread_id}"
        if publication is not None and publication.thread_id
        else None
    )
    return render(request, "article.html", access=access, article=record, post_url=post_url)


async def upload_form(request: web.Request) -> web.Response:
    access = await guild_access(request, "manage")
    limit = ctx(request).settings.max_file_bytes
    return render(request, "upload.html", access=access, limit=limit, error="")


def _upload_error(request: web.Request, access: MemberAccess, error: str) -> web.Response:
    limit = ctx(request).settings.max_file_bytes
    return render(request, "upload.html", status=400, access=access, limit=limit, error=error)


async def _parse(name: str, data: bytes, limit: int) -> list[ParsedArticle]:
    """The CLI's parser and limits, off the event loop."""
    if len(data) > limit:
        raise InvalidInput(f"{name}: too large ({len(data):,} bytes; the limit is {limit:,}).")
    try:
        articles = await asyncio.to_thread(parse_document, name, data, max_bytes=limit)
    except IngestError as exc:
        raise InvalidInput(f"{name[:100]}: {str(exc)[:300]}") from None
    if not articles:
        raise InvalidInput(f"{name[:100]}: no article found in the file.")
    return articles


def _file_name(raw: str) -> str:
    # Only the name (browsers may send a path); the parser refuses a suffix it cannot read.
    name = PurePath(raw.replace("\\", "/")).name.strip()[:200]
    if not name:
        raise InvalidInput("The upload has no file name.")
    return name


async def upload(request: web.Request) -> web.Response:
    """Parse the upload and show a preview; nothing is stored until Confirm. The confirm form
    carries the file back, signed, so no process keeps it in between."""
    access = await guild_access(request, "manage")
    await rate_limit(request, "upload", 10, 60)
    data = await form(request)
    upload = data.get("file")
    if not isinstance(upload, FileField):
        return _upload_error(request, access, "Choose a file to upload.")
    limit = ctx(request).settings.max_file_bytes
    try:
        name = _file_name(upload.filename or "")
        content = upload.file.read(limit + 1)
        articles = await _parse(name, content, limit)
    except InvalidInput as exc:
        return _upload_error(request, access, str(exc))
    digest = hashlib.sha256(content).hexdigest()
    token = ctx(request).signer.sign(
        "upload", {"g": access.guild_id, "n": name, "h": digest, "e": time.time() + 3600}
    )
    return render(
        request,
        "upload_preview.html",
        access=access,
        name=name,
        articles=articles[:PREVIEW_ARTICLES],
        more=max(len(articles) - PREVIEW_ARTICLES, 0),
        payload=base64.b64encode(content).decode("ascii"),
        token=token,
    )


async def confirm(request: web.Request) -> web.Response:
    access = await guild_access(request, "manage")
    data = await form(request)
    signed = ctx(request).signer.unsign("upload", field(data, "token", limit=1000))
    try:
        content = base64.b64decode(str(data.get("payload", "")), validate=True)
    except ValueError:
        content = b""
    if (
        signed is None
        or signed.get("g") != access.guild_id
        or float(signed.get("e", 0)) < time.time()
        or signed.get("h") != hashlib.sha256(content).hexdigest()
    ):
        return _upload_error(request, access, "This preview expired or was altered; upload again.")
    name = str(signed["n"])
    articles = await _parse(name, content, ctx(request).settings.max_file_bytes)
    stored = await ctx(request).archive.store_articles(name, articles, guild_id=access.guild_id)
    ids = [item.article_id for item in stored]
    if field(data, "publish", limit=5) == "yes":
        for article_id in ids:
            await ctx(request).publisher.publish(access.guild_id, article_id)
    where = (
        f"/g/{access.guild_id}/articles/{ids[0]}"
        if len(ids) == 1
        else f"/g/{access.guild_id}/archive"
    )
    raise redirect(where, f"Stored {len(ids)} article(s) from {name}.")


async def publish(request: web.Request) -> web.Response:
    access = await guild_access(request, "manage")
    article_id = int_param(request, "aid")
    await ctx(request).archive.article(
        article_id, guild_id=access.guild_id
    )  # 404 for an unknown article
    await rate_limit(request, "publish", 10, 60)
    result = await ctx(request).publisher.publish(access.guild_id, article_id)
    raise redirect(
        f"/g/{access.guild_id}/articles/{article_id}",
        f"Article {article_id} {result.status} ({result.messages_sent} messages sent).",
    )


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/g/{gid}/archive", search)
    router.add_get("/g/{gid}/archive/upload", upload_form)
    router.add_post("/g/{gid}/archive/upload", upload)
    router.add_post("/g/{gid}/archive/confirm", confirm)
    router.add_get("/g/{gid}/articles/{aid}", article)
    router.add_post("/g/{gid}/articles/{aid}/publish", publish)
