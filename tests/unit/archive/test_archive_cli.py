"""`forumbot load | articles | search | cite` through click's CliRunner on a temp SQLite file."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from forumbot.cli import main
from forumbot.config import get_settings
from forumbot.domain.ingest import parse_document

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def locate(source: str, paragraph: str) -> int:
    """Where `paragraph` starts in the file (the parser collapses runs of whitespace)."""
    pattern = r"\s+".join(re.escape(word) for word in paragraph.split()[:6])
    match = re.search(pattern, source)
    assert match, paragraph[:60]
    return match.start()


ARTICLE_KEYS = {"id", "title", "author", "passages", "comments", "source", "tags"}
HIT_KEYS = {"partial", "article_id", "title", "passage", "snippet", "text"}
HOSTILE_QUERIES = [
    "multi-agent",
    "who's",
    "C++",
    "NOT",
    "AND OR NOT",
    '"unclosed',
    'a "b',
    "text:secret",
    "title:x",
    "*",
    "**",
    "socialism*",
    "-",
    "^start",
    "NEAR(a b)",
    "(((",
    ")",
    "'; DROP TABLE articles; --",
    "%",
    "_",
    "\\",
    "🙂",
    "x" * 2000,
    "   ",
    "@everyone",
    "\u200b",
    "a\nb\tc",
    "ünïcödé",
    "100%",
    "{}[]<>",
]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FORUMBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("FORUMBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FORUMBOT_MAX_FILE_BYTES", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the seeds, so tests may edit them."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


def run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def run_json(*args: str, code: int = 0) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def parse_file(path: Path) -> list[tuple[str, list[str]]]:
    """(title, non-blank paragraphs) per article, straight from the parser."""
    return [
        (parsed.title, [p for p in parsed.paragraphs if p.strip()])
        for parsed in parse_document(path.name, path.read_bytes(), max_bytes=5 * 1024 * 1024)
    ]


def expected_articles(folder: Path) -> Counter[tuple[str, int]]:
    """(title, passage count) of every article in the folder: the CLI must store all of it."""
    return Counter(
        (title, len(paragraphs))
        for path in sorted(folder.iterdir())
        for title, paragraphs in parse_file(path)
    )


def test_load_seeds_then_reload_skips_everything(cli_env: Path, seeds: Path) -> None:
    expected = expected_articles(seeds)
    assert expected, "the seeds should parse"

    report = run_json("load", str(seeds))
    assert set(report) == {"loaded", "skipped", "errors"}
    assert report["errors"] == [] and report["skipped"] == []
    assert len(report["loaded"]) == sum(expected.values())
    assert {item["status"] for item in report["loaded"]} == {"created"}
    for item in report["loaded"]:
        assert {"path", "article_id", "title", "status"} <= set(item)

    listed = run_json("articles")
    assert Counter((a["title"], a["passages"]) for a in listed) == expected
    for article in listed:
        assert set(article) == ARTICLE_KEYS
        assert isinstance(article["comments"], int) and isinstance(article["tags"], list)

    again = run_json("load", str(seeds))
    assert again["loaded"] == [] and again["errors"] == []
    assert len(again["skipped"]) == sum(expected.values())
    assert {item["status"] for item in again["skipped"]} == {"unchanged"}
    assert run_json("articles") == listed


def test_human_output(cli_env: Path, seeds: Path) -> None:
    loaded = run("load", str(seeds))
    assert loaded.exit_code == 0
    total = sum(expected_articles(seeds).values())
    assert f"{total} loaded, 0 unchanged, 0 failed" in loaded.stdout
    table = run("articles")
    assert table.exit_code == 0 and "TITLE" in table.stdout and "article(s)" in table.stdout
    hits = run("search", "socialism")
    assert hits.exit_code == 0 and "¶" in hits.stdout


def test_progress_bar_only_on_a_terminal(
    cli_env: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = run("load", str(seeds), "--json")
    assert quiet.stderr == ""
    monkeypatch.setattr("forumbot.cli.archive._stderr_is_tty", lambda: True)
    shown = run("load", str(seeds), "--json")
    assert "Loading" in shown.stderr
    assert json.loads(shown.stdout)["errors"] == []


def test_empty_archive_messages(cli_env: Path) -> None:
    assert "empty" in run("articles").stdout
    assert run_json("articles") == []
    assert run_json("search", "anything") == []


def _article_with_most_passages() -> tuple[str, str, list[str]]:
    """The single-article seed file with the most passages: (file name, title, paragraphs)."""
    best: tuple[str, str, list[str]] = ("", "", [])
    for path in sorted(SEEDS.iterdir()):
        articles = parse_file(path)
        if len(articles) == 1 and len(articles[0][1]) > len(best[2]):
            best = (path.name, *articles[0])
    return best


def test_edited_seed_is_revised_and_citations_follow_the_text(cli_env: Path, seeds: Path) -> None:
    name, title, paragraphs = _article_with_most_passages()
    assert len(paragraphs) >= 4
    run_json("load", str(seeds))
    listed = run_json("articles")
    article_id = next(a["id"] for a in listed if a["title"] == title)
    before = run("cite", str(article_id), "3")
    assert before.exit_code == 0, before.output
    quoted_before = before.stdout.rsplit("— ", 1)[0]

    # Insert a new paragraph after the first two: old ¶3 becomes ¶4, text unchanged.
    path = seeds / name
    text = path.read_text(encoding="utf-8")
    at = locate(text, paragraphs[2])
    path.write_text(text[:at] + "A brand new paragraph added in an edit.\n\n" + text[at:])

    report = run_json("load", str(seeds))
    assert [item["status"] for item in report["loaded"]] == ["revised"]
    assert report["loaded"][0]["article_id"] == article_id
    assert len(report["skipped"]) == len(listed) - 1

    after = run("cite", str(article_id), "4")
    assert after.exit_code == 0, after.output
    assert after.stdout.rsplit("— ", 1)[0] == quoted_before
    assert "brand new paragraph" in run("cite", str(article_id), "3").stdout
    counts = {a["id"]: a["passages"] for a in run_json("articles")}
    assert counts[article_id] == len(paragraphs) + 1


def test_bad_files_each_get_one_error_and_nothing_is_lost(
    cli_env: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_json("load", str(seeds))
    before = run_json("articles")

    monkeypatch.setenv("FORUMBOT_MAX_FILE_BYTES", "4000")
    get_settings.cache_clear()
    bad = cli_env / "bad"
    bad.mkdir()
    (bad / "good.txt").write_text("A good title\n\nA first paragraph.\n\nA second one.\n")
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(b"title\x00\x01\x02" * 50)
    (bad / "garbage.txt").write_bytes(bytes(range(0x80, 0x100)) * 8)
    (bad / "big.txt").write_text("Big\n\n" + "word " * 2000)
    (bad / "slides.pdf").write_bytes(b"%PDF-1.4 not really")
    files = ["good.txt", "empty.txt", "binary.txt", "garbage.txt", "big.txt", "slides.pdf"]
    missing = str(bad / "missing.txt")

    result = run("load", *(str(bad / f) for f in files), missing, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    errors = {Path(e["path"]).name: e["error"] for e in report["errors"]}
    assert len(report["errors"]) == 6, report["errors"]
    assert set(errors) == {
        "empty.txt",
        "binary.txt",
        "garbage.txt",
        "big.txt",
        "slides.pdf",
        "missing.txt",
    }
    for message in errors.values():
        assert message and "\n" not in message and "Traceback" not in message
    assert "too large" in errors["big.txt"]
    assert [Path(i["path"]).name for i in report["loaded"]] == ["good.txt"]

    after = run_json("articles")
    assert len(after) == len(before) + 1
    old = {a["id"]: a for a in after if a["id"] in {b["id"] for b in before}}
    assert list(old.values()) == before

    human = run("load", str(bad / "empty.txt"), str(bad / "good.txt"))
    assert human.exit_code == 1
    assert "empty.txt" in human.stderr and "1 unchanged, 1 failed" in human.stdout


def test_search_json_shape_and_filters(cli_env: Path, seeds: Path) -> None:
    run_json("load", str(seeds))
    hits = run_json("search", "socialism", "--limit", "5")
    assert 0 < len(hits) <= 5
    for hit in hits:
        assert set(hit) == HIT_KEYS
        assert isinstance(hit["passage"], int) and hit["passage"] >= 1
        assert "social" in hit["text"].lower()  # the word's stem, in the passage itself
    first = hits[0]["article_id"]
    only = run_json("search", "socialism", "--article", str(first))
    assert only and {h["article_id"] for h in only} == {first}
    page2 = run_json("search", "socialism", "--limit", "2", "--offset", "2")
    assert [(h["article_id"], h["passage"]) for h in page2] == [
        (h["article_id"], h["passage"]) for h in run_json("search", "socialism", "--limit", "4")
    ][2:]
    assert run_json("search", "socialism", "--author", "Nobody At All") == []
    assert run_json("search", "zzqxyzzy") == []
    assert not any(h["partial"] for h in hits)
    # A question typed as a sentence: full matches first, then partial ones, marked.
    question = run_json("search", "why did socialism fail zzqxyzzy", "--limit", "3")
    assert question and all(h["partial"] for h in question)
    assert "(partial match)" in run("search", "socialism zzqxyzzy").stdout
    newest = run_json("search", "socialism order:newest", "--limit", "3")
    assert [h["article_id"] for h in newest] == sorted(
        (h["article_id"] for h in newest), reverse=True
    )


def test_hostile_queries_never_error(cli_env: Path, seeds: Path) -> None:
    run_json("load", str(seeds))
    for query in HOSTILE_QUERIES:
        result = run("search", query, "--json")
        assert result.exit_code == 0, (query, result.output)
        assert isinstance(json.loads(result.stdout), list)
    bad_limit = run("search", "x", "--limit", "0")
    assert bad_limit.exit_code == 2 and "Traceback" not in bad_limit.output


def test_cite_ranges_and_errors(cli_env: Path, seeds: Path) -> None:
    run_json("load", str(seeds))
    listed = run_json("articles")
    article = max(listed, key=lambda a: a["passages"])
    aid = str(article["id"])

    single = run("cite", aid, "2")
    assert single.exit_code == 0
    assert single.stdout.startswith("> ")
    assert single.stdout.rstrip("\n").splitlines()[-1].endswith("¶2")

    ranged = run("cite", aid, "2-4")
    assert ranged.exit_code == 0
    assert "¶2–4" in ranged.stdout and "**3**" in ranged.stdout
    assert run("cite", aid, " 2 – 4 ").stdout == ranged.stdout

    widest = run("cite", aid, f"1-{min(20, article['passages'])}")
    assert widest.exit_code == 0 and len(widest.stdout.rstrip("\n")) <= 2000

    for args, message in [
        ((aid, "0"), "numbered from 1"),
        ((aid, "4-2"), "backwards"),
        ((aid, "1-50"), "at most 20"),
        ((aid, "abc"), "not a passage"),
        ((aid, str(article["passages"] + 1)), "passages"),
        (("99999", "1"), "no article"),
        (("no such title at all", "1"), "no article"),
    ]:
        result = run("cite", *args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stdout == ""
        assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_over_long_citation_is_shortened(cli_env: Path) -> None:
    doc = cli_env / "long.txt"
    paragraphs = [" ".join(f"w{p}_{i}" for i in range(250)) for p in range(1, 6)]
    doc.write_text("Long Paragraphs\n\n" + "\n\n".join(paragraphs) + "\n")
    report = run_json("load", str(doc))
    aid = str(report["loaded"][0]["article_id"])
    result = run("cite", aid, "1-4")
    assert result.exit_code == 0, result.output
    text = result.stdout.rstrip("\n")
    assert len(text) <= 2000
    assert "[shortened]" in text
    assert text.splitlines()[-1].startswith("— *Long Paragraphs*")


def test_help_texts(cli_env: Path) -> None:
    for command in ("load", "articles", "search", "cite"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "--database-url" in result.stdout
    assert "Examples" in run("search", "--help").stdout


def test_unreachable_database_is_one_line(cli_env: Path) -> None:
    result = run("articles", "--database-url", "postgresql+asyncpg://nobody@127.0.0.1:9/none")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1


def test_invalid_setting_is_one_line(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORUMBOT_MAX_FILE_BYTES", "lots")
    get_settings.cache_clear()
    result = run("--log-level", "INFO", "load", str(cli_env))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid setting: FORUMBOT_MAX_FILE_BYTES")


def test_default_database_under_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORUMBOT_DATABASE_URL", raising=False)
    monkeypatch.setenv("FORUMBOT_DATA_DIR", str(tmp_path / "fresh" / "data"))
    get_settings.cache_clear()
    try:
        assert run_json("articles") == []
        assert (tmp_path / "fresh" / "data" / "forumbot.sqlite3").is_file()
        bad = run("articles", "--database-url", "not a url")
        assert bad.exit_code == 1 and bad.stderr.startswith("error: database error")
    finally:
        get_settings.cache_clear()
