"""
What a person wrote in a reply, without the history their mail client quoted under it.

Mail clients quote the message they answer, each in its own way: Gmail and Apple Mail write
``On <date>, <name> wrote:`` over ``>`` lines, Outlook writes a header block (``From:``,
``Sent:``, ``To:``, ``Subject:``; ``Von:``, ``Gesendet:``, ``An:``, ``Betreff:`` in German)
after a rule line or an ``-----Original Message-----`` line, German clients write ``Am <date>
schrieb <name>:``, and phones add ``Sent from my iPhone``. `strip_reply` cuts the text at
the first of these marks and drops a trailing signature (after a ``-- `` line) and a
trailing ``Sent from ...`` line. It is a heuristic, so it is careful in two ways: a cut
that would leave nothing keeps the text (a message that is only a quote is not made empty),
and it is idempotent (stripping a stripped text changes nothing).

>>> strip_reply('''Rebooted, it works again.
...
... Sent from my iPhone
...
... On Mon, 2 Mar 2026 at 09:14, Service Desk <support@desk.example> wrote:
... > Please reboot the router and tell us.
... ''')
'Rebooted, it works again.'

`is_thanks` tells a bare "thank you" from a message that says more:

>>> is_thanks("Thanks a lot, Ann!", name="Ann Smith"), is_thanks("Thanks, but it is still down")
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["is_thanks", "strip_reply"]

# "On Mon, 2 Mar 2026 at 09:14, Ann <ann@example.com> wrote:" and its relatives; Gmail
# wraps a long one over two lines, so the patterns are tried on a line and on two joined.
_ATTRIBUTION = re.compile(
    r"^(?:"
    r"On\s.{1,240}\swrote:"  # Gmail, Apple Mail, Thunderbird (en)
    r"|Am\s.{1,240}\sschrieb\s?.{0,200}:"  # German clients
    # "02.03.2026 09:14, Ann <ann@x> schrieb:" and similar: a date or an address in it
    r"|(?=.*[@\d]).{1,240}\s(?:schrieb|wrote)(?:\s.{1,200})?\s?:"
    r"|Le\s.{1,240}\sa\s[ée]crit\s?:"  # French
    r"|Op\s.{1,240}\sschreef\s.{0,200}:"  # Dutch
    r"|El\s.{1,240}\sescribi[óo]:"  # Spanish
    r")\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Originalnachricht|"
    r"Message d'origine|Reply message)\s*-{2,}\s*$",
    re.IGNORECASE,
)
# Outlook's header block: a "From:" line followed closely by "Sent:"/"Date:"/"To:"/"Subject:".
_HEADER_FROM = re.compile(r"^\*?(?:From|Von|De|Van)\s?:\*?\s", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\*?(?:Sent|Date|To|Subject|Cc|Gesendet|Datum|An|Betreff|Envoyé|À|Objet|Verzonden|"
    r"Aan|Onderwerp)\s?:\*?(?:\s|$)",
    re.IGNORECASE,
)
_RULE = re.compile(r"^(?:_{8,}|-{8,}|—{4,})\s*$")
_SIGNATURE = re.compile(r"^--\s?$")
_SENT_FROM = re.compile(
    r"^(?:(?:Sent|Gesendet|Envoyé)\s(?:from|with|via|von|mit|de(?:puis)?)\s.{1,80}"
    r"|Von meine[mr]\s.{1,60}\sgesendet\.?"
    r"|Get Outlook for (?:iOS|Android)"
    r"|Outlook für (?:iOS|Android) herunterladen)\s*$",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*>")
_MAX_PASSES = 16


def _normal(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _history_start(lines: list[str]) -> int | None:
    # The index of the first line of quoted history, or None.
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _ORIGINAL.match(stripped):
            return i
        if _ATTRIBUTION.match(stripped) and len(stripped) <= 400:
            return i
        if i + 1 < len(lines):
            joined = f"{stripped} {lines[i + 1].strip()}"
            if _ATTRIBUTION.match(joined) and len(joined) <= 400 and not _QUOTED.match(line):
                return i
        if _HEADER_FROM.match(stripped) and _headers_follow(lines, i + 1):
            # GMX and web.de put "Gesendet:" above "Von:"; Outlook a rule line (blank
            # lines between): both belong to the header block.
            start = i
            while start > 0 and _HEADER_NEXT.match(lines[start - 1].strip()):
                start -= 1
            above = start - 1
            while above >= 0 and not lines[above].strip():
                above -= 1
            return above if above >= 0 and _RULE.match(lines[above].strip()) else start
    return None


def _headers_follow(lines: list[str], start: int) -> bool:
    # A header line right below a "From:" line and another one close: a block, where a
    # person's "From: Berlin / To: Munich" is not.
    below = [bool(_HEADER_NEXT.match(line.strip())) for line in lines[start : start + 4]]
    return bool(below) and below[0] and sum(below) >= 2


def _one_pass(lines: list[str]) -> list[str]:
    cut = _history_start(lines)
    if cut is not None:
        lines = lines[:cut]
    # A trailing block of quoted lines (and the blank lines around it).
    end = len(lines)
    while end and (not lines[end - 1].strip() or _QUOTED.match(lines[end - 1])):
        end -= 1
    if end < len(lines) and any(_QUOTED.match(line) for line in lines[end:]):
        lines = lines[:end]
    for i, line in enumerate(lines):
        if _SIGNATURE.match(line):
            lines = lines[:i]
            break
    while lines and (
        not lines[-1].strip() or _SENT_FROM.match(lines[-1].strip()) or _RULE.match(lines[-1])
    ):
        lines = lines[:-1]
    return lines


def strip_reply(text: str, *, keep_if_empty: bool = True) -> str:
    """
    The new text of a reply: ``text`` without the quoted history under it, its signature
    and a trailing mobile "Sent from ..." line. If stripping would leave nothing, the text
    itself (trimmed), or ``""`` with ``keep_if_empty=False``. Idempotent.
    """
    if not isinstance(text, str):
        return ""
    current = _normal(text)
    for _ in range(_MAX_PASSES):
        following = _normal("\n".join(_one_pass(current)))
        if not following:
            return "\n".join(current) if keep_if_empty else ""
        if following == current:
            break
        current = following
    return "\n".join(current)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_THANKS = _words(
    "thanks thank thx ty tnx cheers danke dank dankeschön dankeschoen merci gracias grazie "
    "bedankt tack"
)
_FILLER = _words(
    """
    you very much so a lot many again all ok okay k great super perfect perfekt good fine
    excellent awesome brilliant nice cool it works worked working now that this fixed solved
    sorted is was for the help your quick fast response support team guys
    vielen herzlichen besten schön schoen sehr toll prima klasse alles gut funktioniert
    wieder jetzt geht läuft laeuft das hat geklappt für fuer die hilfe euch ihnen dir
    hi hello hey hallo dear liebe lieber moin servus
    best regards kind kindly warm lg vg mfg gruß gruss grüße gruesse viele beste freundliche
    mit and und oh wow yes ja
    """
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def is_thanks(text: str, *, name: str | Iterable[str] = ()) -> bool:
    """
    True when ``text`` (already stripped of quotes) only says thank you: a word of thanks,
    at most a dozen words, each a word of thanks, a polite filler ("very much", "it works
    now", "vielen Dank", "Grüße") or part of the sender's ``name``. "Thanks, but it is still
    down" says more, so it is False.
    """
    if not isinstance(text, str) or len(text) > 400:
        return False
    names = {name} if isinstance(name, str) else set(name)
    own = {part.lower() for full in names for part in _WORD.findall(full or "")}
    words = [w.lower() for w in _WORD.findall(text)]
    if not words or len(words) > 12 or not any(w in _THANKS for w in words):
        return False
    return all(w in _THANKS or w in _FILLER or w in own for w in words)
