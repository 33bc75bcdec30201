"""A cheap per-message language guess: script, telltale letters and function words.

Rules for one language (Spanish insults, German threats...) apply only to messages that look
like that language, because their words are often innocent elsewhere ("con" is "with" in Spanish
and a slur in French; "je" is "I" in French and "you" in Dutch). The engine asks only when such a
rule has found something, so most messages never pay for a guess.

The guess is a set: every language that ties for the best score (short messages are often
ambiguous between Spanish, Portuguese and Italian, and all of their rules may look). English is
the answer when nothing else scores. Evidence, all computed on the text the rules see:

* Cyrillic letters that no Latin letter looks like (и, д, л, ж, ы, я...) mean Russian;
* letters only some languages use (ñ ¿ ¡ for Spanish, ã õ for Portuguese, ß for German, ł ą ę
  for Polish, ı ş ğ for Turkish, œ for French...) count three, shared accents one;
* function words ("eres", "você", "bist", "jestes", "sen", "jij"...) count one each, for every
  language they belong to, and so do the words of that language's own rules.

Measured against py3langid, pycld2 and lingua in bench/bench_civility.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

ENGLISH = "en"
LANGUAGES = ("en", "es", "pt", "fr", "de", "it", "nl", "pl", "ru", "tr")

# Function words, accent-free and lower-cased as the normaliser leaves them. Words that several
# languages share are listed under each; words common in English chat are left out.
_FUNCTION_WORDS: dict[str, str] = {
    "en": "the and is are you your youre this that with have what not was for they dont im "
          "just like but its of to my me been were would could should their there",
    "es": "el los las una es eres que y no por para con se lo te tu mi muy pero como esta "
          "estas eso esto yo del al mas ya todo porque sos vos hay cuando aqui nada voy vas "
          "usted tus mis sus le les nos un la de en ni tienes puedes os vamos todos este",
    "pt": "os as um uma e que nao voce vc eu tu seu sua teu tua com para pra por mais isso "
          "isto esse essa muito mas como ele ela ja vai vou te sao ta aqui nada do da dos das "
          "em no na de o a voces tem pode todos todas esses essas estes estas",
    "fr": "le la les un une des du de et est es tu toi vous je il elle nous que qui ne pas "
          "en dans pour avec sur ce cest ca mais tres sont suis etes ton ta tes votre vos mon "
          "ma moi te on au aux plus rien tas jai",
    "de": "der die das und ist bist du ich nicht ein eine einen dich dir sie wir ihr mit auf "
          "fur von zu den dem des es sich auch aber wie was noch nur sind wird werde mal doch "
          "schon kein keine dein deine mein meine bin halt",
    "it": "il lo la gli le un una uno e sei che di del della non per con tu ti io mi ma come "
          "questo questa sono ho hai anche piu gia tuo tua mio cosa perche molto qui se da "
          "nel alla",
    "nl": "de het een en is ben bent jij je jou ik niet wat dat die van met voor op te zijn "
          "maar ook nog wel geen hoe jouw jullie mijn hij zij er naar dan zo kun kan",
    "pl": "i w z na nie to jest jestes ty ci cie sie ze do co jak ale tak mnie mi za po od "
          "tylko juz tego tym ten bo czy wiesz jestem twoj twoja twoje",
    "tr": "ve bir bu da de ne sen seni sana senin ben beni bana icin ile gibi cok daha mi mu "
          "degil var yok ama o ki sin siniz neden nasil kadar hic her simdi git",
}  # fmt: skip

# Letters that point at a language: (languages, weight).
_LETTERS: dict[str, tuple[tuple[str, ...], int]] = {
    "ñ": (("es",), 3), "¿": (("es",), 3), "¡": (("es",), 3),
    "ã": (("pt",), 3), "õ": (("pt",), 3), "ê": (("pt", "fr"), 1), "ç": (("pt", "fr", "tr"), 1),
    "œ": (("fr",), 3), "è": (("fr", "it"), 1), "à": (("fr", "it", "pt"), 1),
    "ù": (("fr", "it"), 1), "î": (("fr",), 1), "ë": (("fr", "nl"), 1), "â": (("fr", "pt"), 1),
    "ß": (("de",), 3), "ä": (("de",), 2), "ö": (("de", "tr"), 1), "ü": (("de", "tr"), 1),
    "ł": (("pl",), 3), "ą": (("pl",), 3), "ę": (("pl",), 3), "ś": (("pl",), 3),
    "ź": (("pl",), 3), "ż": (("pl",), 3), "ć": (("pl",), 3), "ń": (("pl",), 3),
    "ı": (("tr",), 3), "ş": (("tr",), 3), "ğ": (("tr",), 3), "İ": (("tr",), 3),
    "ì": (("it",), 2), "ò": (("it",), 2),
    "á": (("es", "pt"), 1), "í": (("es", "pt"), 1), "ó": (("es", "pt", "pl"), 1),
    "ú": (("es", "pt"), 1), "é": (("es", "pt", "fr", "it"), 1),
}  # fmt: skip
# Cyrillic letters with no Latin look-alike: real Russian, not a disguised English word.
_RUSSIAN = frozenset("бгдёжзийлпфцчшщъыьэюяБГДЁЖЗИЙЛПФЦЧШЩЪЫЬЭЮЯ")


class LanguageGuesser:
    """Built once per engine: the function words plus the words of each language's rules."""

    def __init__(self, rule_words: Mapping[str, Iterable[str]] | None = None) -> None:
        votes: dict[str, set[str]] = {}
        for lang, line in _FUNCTION_WORDS.items():
            for w in line.split():
                votes.setdefault(w, set()).add(lang)
        for lang, words in (rule_words or {}).items():
            for w in words:
                votes.setdefault(w, set()).add(lang)
        self._votes: dict[str, tuple[str, ...]] = {w: tuple(sorted(v)) for w, v in votes.items()}

    def guess(self, raw: str, tokens: Iterable[str]) -> frozenset[str]:
        """The languages `raw` (with its normalised `tokens`) most likely is written in."""
        scores: dict[str, int] = {}
        if not raw.isascii():
            russian = sum(1 for c in raw if c in _RUSSIAN)
            if russian >= 2:
                return frozenset({"ru"})
            for ch in set(raw).intersection(_LETTERS):
                langs, weight = _LETTERS[ch]
                for lang in langs:
                    scores[lang] = scores.get(lang, 0) + weight
        votes = self._votes
        # an @mention reaches the rules as "you": in "@Bartek ty skurwysynu" that is no
        # English word, so "you" votes only when the writer typed it
        typed_you = "you" in raw.lower()
        for tok in tokens:
            if tok == "you" and not typed_you:
                continue
            for lang in votes.get(tok, ()):
                scores[lang] = scores.get(lang, 0) + 1
        if not scores:
            return _NO_EVIDENCE
        best = max(scores.values())
        english = scores.get(ENGLISH, 0)
        if best <= english:
            return _ENGLISH_ONLY
        return frozenset(lang for lang, s in scores.items() if s == best)


_ENGLISH_ONLY = frozenset({ENGLISH})
# Nothing points anywhere ("k@nk3rh03r", "Orospu çocuğu."): every language stays possible, so a
# rule for one of them that found its word keeps its hit.
_NO_EVIDENCE = frozenset(LANGUAGES)
