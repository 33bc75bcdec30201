"""The archive: search (the same search as /search), an article with numbered passages and a
stable link per passage (#p<number>), and its forum post link. Everyone in the guild may read
it, as everyone may use /search."""

from __future__ import annotations

from aiohttp import web

from forumbot.services.publishing import PublishingService
from forumbot.web.views import ctx, guild_access, int_param, rate_limit, render

PER_PAGE = 10
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
            query, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE
        )
        articles = None
    else:
        articles = (await ctx(request).archive.list_articles())[:200]
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
    record = await ctx(request).archive.article(article_id)
    publication = await PublishingService(ctx(request).sessionmaker).publication(
        access.guild_id, article_id
    )
    post_url = (
        f"https://discord.com/channels/{access.guild_id}/{publication.thread_id}"
        if publication is not None and publication.thread_id
        else None
    )
    return render(request, "article.html", access=access, article=record, post_url=post_url)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/g/{gid}/archive", search)
    router.add_get("/g/{gid}/articles/{aid}", article)
