"""Quotation: abuse a member quotes in order to report or reject it is not the member's abuse.

"Someone DMed me 'I know where you live'", "Uno mi ha scritto «ti ammazzo». Segnalo.", "'Retard'
isn't an argument, Kev": the rude words are inside quotation marks, and the words outside them
say the quote is being reported, attributed or discussed (wrote, told, called, DMed, reporting,
slur...). For such a message the engine checks the text outside the quotes as well, and a rule
that fired only inside them is capped at `log`: moderators still see it, the member is not
punished for the report. Words outside the quotes are judged as usual ("He said 'you're an
idiot', and you are one" is still held), and a quote with no such cue around it ("'kill
yourself'" on its own) is not a quotation but a message.
"""

from __future__ import annotations

import re
from functools import lru_cache

from forumbot.domain.civility.normalise import clean_text, normalise

# Double quotes of every script (clean_text folds “ ” „ « » to "), single quotes that open after
# a non-letter and close before one (so "don't" and "I'm" are not quotes), and Discord
# block-quote lines.
# (That is "..." | (?<![\w'])'...' | ^>..., written to open with one character class, each
# alternative then checking which character it was: re skips to the candidates in C instead of
# trying all three at every position of the message.)
_QUOTE_RE = re.compile(
    r"[\"'>](?:(?<=\")[^\"\n]{1,400}\""
    r"|(?<![\w']')(?<=')(?=\S)[^\n]{1,400}?(?<=\S)'(?![\w'])"
    r"|(?<![^\n]>)(?<=>)[^\n]*$)",
    re.MULTILINE,
)
# The precheck on raw text: any character that can open one of the quotes above.
_QUOTE_CHARS = frozenset("\"'“”„«»‘’‚‹›「」>")

# Words that report, attribute or discuss what is quoted, in each language of the rule pack,
# as written (they are normalised like the message before they are compared).
_CUES = """
said says saying wrote writes writing written told tells telling called calls calling posted
posting replied replies replying dmed dm dms messaged texted tweeted commented shouted yelled
screamed chanted typed quote quoted quoting reported reporting flagged flagging screenshot
screenshots heard whispered slur slurs insult insults according statements statement posts
comments stuff things like say believe tolerate hurtful hateful dehumanising dehumanizing
wishing write report allowed allow permitted etymology word words meaning means meant
aussagen aussage sprüche spruche kommentare beiträge beitrage dinge verletzend hasserfüllt
entmenschlichend dulden
frases comentarios comentario cosas hiriente odioso tolerar denunciaré denunciare
propos phrases commentaires choses blessant haineux tolérer tolerer signalerai
frasi commenti cose offensivo odioso tollerare segnalerò segnalero
uitspraken uitspraak opmerkingen berichten dingen kwetsend hatelijk tolereren
wypowiedzi komentarze rzeczy krzywdzące krzywdzace nienawistne tolerować tolerowac
comentários ofensivo tolerar
sagst sagen wünscht wunscht diskriminierung knast dices decir como comme dire dis come
dichiarazioni post disumana offensive offensivo dizer diz als zeggen zeg jak mówić mowic
afirmação afirmacao desumana postagens tipo desejar deseja
desear augurato auguri dici mówią mowia stwierdzenie stylu
dijo dice dicen escribió escribio escribe mandó mando llamó llamo llamar insulto denuncio
reporto captura
disse diz escreveu escreve mandou chamou chamar denunciando denuncio print
dit écrit ecrit écrire traité traite envoyé envoye signale signaler capture modos insulte
gesagt sagte sagt schrieb geschrieben schreibt nannte genannt nennen gemeldet melde meldet
detto scritto scrive chiamato dare segnalo segnalato
zei zegt schreef geschreven stuurde gestuurd noemde noemen roepen riep gemeld meld
powiedział powiedzial napisał napisal napisała napisala napisali nazwał nazwal zgłaszam
zglaszam
сказал сказала написал написала написали пишет назвал назвали
dedi söyledi soyledi yazdı yazdi yazmış yazmis gönderdi gonderdi
mod mods moderator moderators moderation admin admins reported blocked muted
moderación moderacion moderadores reportado reportada denunciado denunciada denunciar puesto
privado escrito escriben
moderação moderacao moderadores reportei reportado denúncia denuncia denunciei escreveram
privado
modération moderation modérateurs moderateurs signalé signale reçu recu
moderation moderatoren admins gemeldet erhalten privatnachricht
moderazione moderatori segnalato segnalata ricevuto privato
moderatie moderators gemeld gekregen
moderacja moderatorzy moderatorów moderatorow zgłosiłem zglosilem zgłosiłam zglosilam
dostałem dostalem dostałam dostalam pisze piszą pisza
модераторы модератор модерация пишут прислал прислали жалоба пожаловался скрин скриншот
moderatör moderatorler moderatörler şikayet sikayet bildirdim ekran görüntüsü goruntusu
"""

# Stems of the same cues, so that every inflection counts ("komentarz", "komentarze",
# "komentarza"; "жаловался", "пожаловался", "жалоба"; "chamarem", "chamaram"): the nouns for a
# message or comment, and the verbs of reporting, insulting and removing, in each language. A
# token counts when it starts with one of them (after normalisation, like the message).
_CUE_STEMS = """
comment messag report screensh modera insult
coment mensaj mensag denunci escrib chama xinga
signal traite
komment nachricht beleidig melde gemeld schrieb
segnal scriss
bericht reactie opmerk melding scheld
komentarz wiadomo zglos zgłos obraza obraża napisa usun usuń
коммент сообщен жалова жалоб написа модерат удален обзыва
yorum mesaj sikayet şikayet bildir yazd
etymolog etimolog palabr palavr parola woord wort slowo słowo слово kelime
означа oznacza signif bedeut beteken anlam
permit consent erlaub toegest dozwol разреш
"""


@lru_cache(maxsize=1)
def _cue_tokens() -> frozenset[str]:
    return frozenset(t for word in _CUES.split() for t in _tokens(word))


@lru_cache(maxsize=1)
def _cue_stems() -> tuple[str, ...]:
    return tuple({t for word in _CUE_STEMS.split() for t in _tokens(word) if len(t) >= 4})


def _has_cue(tokens: list[str]) -> bool:
    if not _cue_tokens().isdisjoint(tokens):
        return True
    stems = _cue_stems()
    return any(tok.startswith(stems) for tok in tokens)


_TOKEN_RE = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(normalise(text))


# the same characters as one class: re scans for it in C (frozenset.isdisjoint(str) hashes
# every character of the message)
_QUOTE_CHAR_RE = re.compile("[" + re.escape("".join(sorted(_QUOTE_CHARS))) + "]")


def may_quote(raw: str) -> bool:
    """A cheap test on the raw text: could it contain a quotation at all?"""
    return _QUOTE_CHAR_RE.search(raw) is not None


def outside_quotes(raw: str) -> str | None:
    """The message with its quoted spans blanked out, when it reports or discusses what it
    quotes; None when it quotes nothing, or quotes without any cue that it is a report."""
    text = clean_text(raw)
    spans = [m.span() for m in _QUOTE_RE.finditer(text)]
    if not spans:
        return None
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    # " - " keeps the words on either side of a quote from running together
    outside = " - ".join(pieces)
    if not _has_cue(_tokens(outside)) and not _attributed(text, spans):
        return None
    return outside


def _attributed(text: str, spans: list[tuple[int, int]]) -> bool:
    """A quote introduced by a colon after words ("Sarkozy à Argenteuil en 2005 : '…'",
    "Orwell, 1946: '…'") is attributed to whoever the words before the colon name."""
    for start, _ in spans:
        before = text[max(0, start - 3) : start].rstrip()
        if before.endswith(":") and _TOKEN_RE.search(normalise(text[:start])):
            return True
    return False
