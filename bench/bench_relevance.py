"""Relevance benchmark: forumbot's search against plain FTS5 bm25 and tantivy on public
information-retrieval test collections with human relevance judgments.

Each document becomes an article (its title, authors and text as one passage) in a fresh,
migrated database, loaded through `ArchiveRepository.save_articles` as `forumbot load` would.
Every query is typed as it is (a natural-language question, punctuation and all) into:

- forumbot: `search_passages(session, query, limit=10)`, what `/search` and the CLI run;
- bm25: plain FTS5 bm25 over the query's words ORed, on the same FTS5 table;
- tantivy: the same documents (title and text, English stemming), its query parser over the
  same words, which ORs them by default.

Reports nDCG@10 (graded where the collection grades) and recall@10 per system. Collections are
never shipped with the project; see bench/README.md for where to get them. Formats: SMART
(`.I`/`.T`/`.A`/`.W` files: CISI, Cranfield, CACM, MED) and BEIR (corpus.jsonl, queries.jsonl,
qrels/test.tsv).

    .venv/bin/python bench/bench_relevance.py --collection cisi=/work/evaldata/ir/cisi \\
        --collection cran=/work/evaldata/ir/cran [--postgres [URL]]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from forumbot.domain.article import ParsedArticle  # noqa: E402
from forumbot.storage.archive import ArchiveRepository  # noqa: E402
from forumbot.storage.db import make_engine, make_sessionmaker, upgrade_database  # noqa: E402
from forumbot.storage.search import search_passages  # noqa: E402

CUTOFF = 10
_WORD = re.compile(r"[^\W_]+")


@dataclass
class Collection:
    name: str
    docs: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # title, text, by
    queries: dict[str, str] = field(default_factory=dict)
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)  # query -> doc -> gain


# ---- reading collections ---------------------------------------------------------------------


def _smart_records(path: Path) -> list[dict[str, str]]:
    """Records of a SMART-format file: `.I id`, then fields `.T`, `.A`, `.W`, ... to the next."""
    records: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    key = ""
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(".I"):
            current = {"id": line[2:].strip()}
            records.append(current)
            key = ""
        elif re.fullmatch(r"\.[A-Z]\s*", line) and current is not None:
            key = line[1]
            current.setdefault(key, "")
        elif current is not None and key:
            current[key] += line + "\n"
    return records


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _find(folder: Path, *names: str) -> Path:
    for name in names:
        for candidate in folder.rglob("*"):
            if candidate.is_file() and candidate.name.lower() == name.lower():
                return candidate
    raise FileNotFoundError(f"none of {names} under {folder}")


def read_smart(name: str, folder: Path) -> Collection:
    coll = Collection(name)
    docs_path = _find(folder, "CISI.ALL", "cran.all.1400", "cacm.all", "MED.ALL")
    qry_path = _find(folder, "CISI.QRY", "cran.qry", "query.text", "MED.QRY")
    rel_path = _find(folder, "CISI.REL", "cranqrel", "qrels.text", "MED.REL")
    for record in _smart_records(docs_path):
        title, body = _clean(record.get("T")), _clean(record.get("W"))
        authors = [a for a in (record.get("A") or "").splitlines() if a.strip()]
        coll.docs[str(int(record["id"]))] = (
            title or body[:80] or f"Document {record['id']}",
            body or title,
            _clean(authors[0]) if authors else None,
        )
    # Cranfield's qrels number the queries 1..225 in file order, not by their .I ids.
    sequential = "cran" in qry_path.name.lower()
    for position, record in enumerate(_smart_records(qry_path), start=1):
        query = _clean(record.get("W"))
        if query:
            coll.queries[str(position if sequential else int(record["id"]))] = query
    for line in rel_path.read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        qid, did = str(int(parts[0])), str(int(parts[1]))
        gain = 1
        if "cran" in rel_path.name.lower() and len(parts) >= 3:
            # Cleverdon's codes: 1 = a complete answer ... 4 = minimum interest (-1: unrated).
            grade = int(parts[2])
            gain = 5 - grade if 1 <= grade <= 4 else 1
        coll.qrels.setdefault(qid, {})[did] = gain
    return coll


def read_beir(name: str, folder: Path) -> Collection:
    coll = Collection(name)
    with (folder / "corpus.jsonl").open(encoding="utf-8") as corpus:
        for line in corpus:
            doc = json.loads(line)
            body = _clean(doc.get("text"))
            title = _clean(doc.get("title"))
            coll.docs[str(doc["_id"])] = (title or body[:80], body or title, None)
    with (folder / "queries.jsonl").open(encoding="utf-8") as queries:
        for line in queries:
            query = json.loads(line)
            coll.queries[str(query["_id"])] = _clean(query["text"])
    qrels = folder / "qrels" / "test.tsv"
    for line in qrels.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[-1].lstrip("-").isdigit() and parts[0] != "query-id":
            qid, did, score = parts[0], parts[-2], int(parts[-1])
            if score > 0:
                coll.qrels.setdefault(qid, {})[did] = score
    return coll


def read_collection(name: str, folder: Path) -> Collection:
    beir = (folder / "corpus.jsonl").exists()
    coll = read_beir(name, folder) if beir else read_smart(name, folder)
    coll.queries = {q: t for q, t in coll.queries.items() if coll.qrels.get(q)}
    return coll


# ---- metrics ---------------------------------------------------------------------------------


def ndcg(ranked: list[str], gains: dict[str, int], cutoff: int = CUTOFF) -> float:
    dcg = sum(gains.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:cutoff]))
    ideal = sorted(gains.values(), reverse=True)[:cutoff]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[str], gains: dict[str, int], cutoff: int = CUTOFF) -> float:
    relevant = {d for d, g in gains.items() if g > 0}
    return len(relevant & set(ranked[:cutoff])) / len(relevant) if relevant else 0.0


def score(runs: dict[str, list[str]], coll: Collection) -> dict[str, Any]:
    n = len(coll.queries)
    return {
        "ndcg@10": round(sum(ndcg(runs[q], coll.qrels[q]) for q in coll.queries) / n, 4),
        "recall@10": round(sum(recall(runs[q], coll.qrels[q]) for q in coll.queries) / n, 4),
        "queries_without_results": sum(1 for q in coll.queries if not runs[q]),
    }


# ---- systems ---------------------------------------------------------------------------------


def _articles(coll: Collection) -> list[ParsedArticle]:
    return [
        ParsedArticle(key=doc_id, title=title[:500], paragraphs=(body,), author=by)
        for doc_id, (title, body, by) in coll.docs.items()
    ]


async def load(url: str, coll: Collection) -> dict[str, str]:
    """Load the collection; returns {article id: doc id}."""
    await upgrade_database(url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            repo = ArchiveRepository(session)
            articles = _articles(coll)
            for start in range(0, len(articles), 200):
                await repo.save_articles(articles[start : start + 200])
            rows = await session.execute(text("SELECT id, key FROM articles"))
            return {str(aid): key for aid, key in rows}
    finally:
        await engine.dispose()


async def run_forumbot(url: str, coll: Collection, ids: dict[str, str]) -> dict[str, Any]:
    engine = make_engine(url)
    runs: dict[str, list[str]] = {}
    cpu = 0.0
    try:
        async with make_sessionmaker(engine)() as session:
            for qid, query in coll.queries.items():
                started = time.process_time()
                hits = await search_passages(session, query, limit=CUTOFF)
                cpu += time.process_time() - started
                runs[qid] = list(dict.fromkeys(ids[str(h.article_id)] for h in hits))
    finally:
        await engine.dispose()
    result = score(runs, coll)
    result["cpu_ms_per_query"] = round(cpu * 1000 / len(coll.queries), 3)
    return result


def fts5_or_expression(query: str) -> str:
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(_WORD.findall(query.lower())))


def run_fts5_bm25(coll: Collection) -> dict[str, Any]:
    """Plain FTS5: one table (title, text) with forumbot's tokenizer, bm25 with default weights,
    independent of forumbot's own schema."""
    import sqlite3

    runs: dict[str, list[str]] = {}
    with sqlite3.connect(":memory:") as conn:
        conn.execute(
            "CREATE VIRTUAL TABLE plain USING fts5(doc UNINDEXED, title, text,"
            " tokenize='porter unicode61 remove_diacritics 2')"
        )
        conn.executemany(
            "INSERT INTO plain (doc, title, text) VALUES (?, ?, ?)",
            [(doc_id, title, body) for doc_id, (title, body, _by) in coll.docs.items()],
        )
        for qid, query in coll.queries.items():
            expression = fts5_or_expression(query)
            rows = conn.execute(
                "SELECT doc FROM plain WHERE plain MATCH ? ORDER BY bm25(plain) LIMIT ?",
                (expression, CUTOFF),
            ).fetchall()
            runs[qid] = [r[0] for r in rows]
    return score(runs, coll)


def run_tantivy(coll: Collection) -> dict[str, Any]:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("body", tokenizer_name="en_stem")
    schema = builder.build()
    with tempfile.TemporaryDirectory() as folder:
        index = tantivy.Index(schema, path=folder)
        writer = index.writer()
        for doc_id, (title, body, _by) in coll.docs.items():
            writer.add_document(tantivy.Document(id=doc_id, title=title, body=body))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        searcher = index.searcher()
        runs: dict[str, list[str]] = {}
        for qid, query in coll.queries.items():
            words = " ".join(_WORD.findall(query.lower()))
            if not words:
                runs[qid] = []
                continue
            parsed = index.parse_query(words, ["title", "body"])
            found = searcher.search(parsed, CUTOFF).hits
            runs[qid] = [searcher.doc(address)["id"][0] for _score, address in found]
    return score(runs, coll)


async def run_postgres(server_url: str, coll: Collection) -> dict[str, Any]:
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"forumbot_relevance_{coll.name}"
    admin_dsn = make_url(server_url).set(drivername="postgresql").render_as_string(False)
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        ids = await load(url, coll)
        return await run_forumbot(url, coll, ids)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def evaluate(name: str, folder: Path, postgres: str | None) -> dict[str, Any]:
    coll = read_collection(name, folder)
    judged = sum(len(v) for q, v in coll.qrels.items() if q in coll.queries)
    result: dict[str, Any] = {
        "collection": name,
        "documents": len(coll.docs),
        "queries": len(coll.queries),
        "judgments": judged,
    }
    with tempfile.TemporaryDirectory() as folder_:
        path = Path(folder_) / "relevance.sqlite3"
        url = f"sqlite+aiosqlite:///{path.as_posix()}"
        ids = asyncio.run(load(url, coll))
        result["forumbot_sqlite"] = asyncio.run(run_forumbot(url, coll, ids))
    result["fts5_bm25_or"] = run_fts5_bm25(coll)
    result["tantivy"] = run_tantivy(coll)
    if postgres:
        result["forumbot_postgres"] = asyncio.run(run_postgres(postgres, coll))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--collection",
        action="append",
        default=[c for c in os.environ.get("FORUMBOT_IR_COLLECTIONS", "").split() if c],
        metavar="NAME=FOLDER",
        help="a collection folder (SMART or BEIR format); repeat for several"
        " (default: $FORUMBOT_IR_COLLECTIONS, space-separated)",
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        default=None,
        metavar="URL",
        help="also run forumbot's search on PostgreSQL",
    )
    args = parser.parse_args()
    if not args.collection:
        # `make bench` runs every script: without data this one has nothing to measure.
        print("bench_relevance: no collection given (--collection NAME=FOLDER or")
        print("FORUMBOT_IR_COLLECTIONS); see bench/README.md for where to get them. Skipped.")
        return
    results = []
    for spec in args.collection:
        name, _, folder = spec.partition("=")
        if not folder or not Path(folder).is_dir():
            parser.error(f"--collection {spec!r}: expected NAME=FOLDER with an existing folder")
        results.append(evaluate(name, Path(folder), args.postgres))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(
        json.dumps(
            {"benchmark": "relevance", "load_average_1m": round(load[0], 2), "results": results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
