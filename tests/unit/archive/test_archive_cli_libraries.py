"""`forumbot load|articles|search|cite --guild ID / --shared` and `forumbot library`."""

from __future__ import annotations

from pathlib import Path

from tests.unit.archive.test_archive_cli import cli_env, run, run_json

__all__ = ["cli_env"]  # the fixture, used by name

GUILD = "333333333333333333"
OTHER = "444444444444444444"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_guild_and_shared_libraries_from_the_command_line(cli_env: Path) -> None:
    shared = write(cli_env / "shared", "almanac.md", "# Harbour Almanac\n\nTides turn twice.\n")
    own = write(cli_env / "own", "almanac.md", "# Guild Almanac\n\nThe quince ripens late.\n")

    assert run_json("load", str(shared))["loaded"][0]["status"] == "created"
    # The same file name (key) in a guild's library is that guild's own article.
    loaded = run_json("load", "--guild", GUILD, str(own))["loaded"]
    assert [item["status"] for item in loaded] == ["created"]
    guild_article = loaded[0]["article_id"]

    # Without --guild (or with --shared): the shared library, as before libraries existed.
    for flags in ((), ("--shared",)):
        assert [a["title"] for a in run_json("articles", *flags)] == ["Harbour Almanac"]
        assert run_json("search", "quince", *flags) == []
    assert sorted(a["title"] for a in run_json("articles", "--guild", GUILD)) == [
        "Guild Almanac",
        "Harbour Almanac",
    ]
    assert [h["article_id"] for h in run_json("search", "quince", "--guild", GUILD)] == [
        guild_article
    ]
    assert run_json("search", "quince", "--guild", OTHER) == []
    assert "quince" in run("cite", "--guild", GUILD, str(guild_article), "1").output
    missing = run("cite", str(guild_article), "1")
    assert missing.exit_code == 1 and missing.output.startswith("error: no article with id")
    assert run("cite", "--guild", OTHER, str(guild_article), "1").exit_code == 1

    assert run_json("library", "show") == {
        "shared": {"articles": 1, "limited_to": None},
        "guilds": {GUILD: 1},
    }
    assert run("library", "limit", OTHER).exit_code == 0
    assert [a["title"] for a in run_json("articles", "--guild", GUILD)] == ["Guild Almanac"]
    assert run_json("library", "show")["shared"]["limited_to"] == [int(OTHER)]
    assert run("library", "limit", "--everyone").exit_code == 0
    assert len(run_json("articles", "--guild", GUILD)) == 2


def test_library_options_reject_bad_input(cli_env: Path) -> None:
    both = run("articles", "--guild", GUILD, "--shared")
    assert both.exit_code == 1 and "not both" in both.output
    for bad in ("0", "-5", "abc", "99999999999999999999"):
        result = run("search", "x", "--guild", bad)
        assert result.exit_code == 2 and "--guild" in result.output, bad
    assert run("library", "limit").exit_code == 2
    assert run("library", "limit", GUILD, "--everyone").exit_code == 2
    assert run("library", "limit", "0").exit_code == 2
    # Nothing changed by the refused commands.
    assert run_json("library", "show")["shared"]["limited_to"] is None
