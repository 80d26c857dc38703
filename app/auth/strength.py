"""The password rule: one function decides, everywhere (sign-up, reset, profile, CLI).

A password is acceptable when it has at least PASSWORD_MIN_LENGTH characters (10 by default), at
most MAX_LENGTH, and zxcvbn rates it 3 or 4 out of 4 once the person's own e-mail address and name
are counted as known words. zxcvbn speaks English: its advice is mapped to short French hints.
No Flask needed except for reading the configured minimum length when none is given.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

DEFAULT_MIN_LENGTH = 10
MAX_LENGTH = 128
# zxcvbn's cost grows with the length: it only ever sees this many characters.
ZXCVBN_MAX_CHARS = 100
ACCEPTABLE_SCORE = 3
# A password made of the person's own name or address needs this many other characters.
MIN_OTHER_CHARS = 6

LABELS = {
    0: _l("Faible"),
    1: _l("Faible"),
    2: _l("Moyen"),
    3: _l("Fort"),
    4: _l("Très fort"),
}

# Words and passwords common in Belgium that zxcvbn's English lists miss; counted as known words.
FRENCH_COMMON = (
    "motdepasse",
    "azerty",
    "azertyuiop",
    "soleil",
    "bonjour",
    "doudou",
    "chouchou",
    "loulou",
    "coucou",
    "amour",
    "jetaime",
    "belgique",
    "bruxelles",
    "wallonie",
    "namur",
    "liege",
    "charleroi",
    "mons",
    "ecole",
    "ecolenumerique",
    "numerique",
    "enseignant",
    "enseignante",
    "fournisseur",
    "relais",
    "maintenance",
    "informatique",
    "ordinateur",
    "bienvenue",
    "printemps",
    "vacances",
)
_FRENCH_COMMON = frozenset(FRENCH_COMMON)

# zxcvbn's feedback, in French. Unknown sentences fall back to the generic hint.
_WARNINGS = {
    "This is a top-10 common password.": _l("C’est l’un des dix mots de passe les plus courants."),
    "This is a top-100 common password.": _l(
        "C’est l’un des cent mots de passe les plus courants."
    ),
    "This is a very common password.": _l("C’est un mot de passe très courant."),
    "This is similar to a commonly used password.": _l(
        "Il ressemble à un mot de passe très courant."
    ),
    "A word by itself is easy to guess.": _l("Un mot seul est facile à deviner."),
    "Names and surnames by themselves are easy to guess.": _l(
        "Un nom ou un prénom seul est facile à deviner."
    ),
    "Common names and surnames are easy to guess.": _l(
        "Les noms et prénoms courants sont faciles à deviner."
    ),
    "Straight rows of keys are easy to guess.": _l(
        "Une rangée de touches du clavier est facile à deviner."
    ),
    "Short keyboard patterns are easy to guess.": _l(
        "Les motifs du clavier sont faciles à deviner."
    ),
    'Repeats like "aaa" are easy to guess.': _l(
        "Les répétitions comme « aaa » sont faciles à deviner."
    ),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': _l(
        "Les répétitions comme « abcabc » ne sont guère plus sûres que « abc »."
    ),
    'Sequences like "abc" or "6543" are easy to guess.': _l(
        "Les suites comme « abc » ou « 6543 » sont faciles à deviner."
    ),
    "Recent years are easy to guess.": _l("Les années récentes sont faciles à deviner."),
    "Dates are often easy to guess.": _l("Les dates sont faciles à deviner."),
}
_SUGGESTIONS = {
    "Use a few words, avoid common phrases.": _l(
        "Utilisez quelques mots, en évitant les expressions toutes faites."
    ),
    "No need for symbols, digits, or uppercase letters.": _l(
        "Pas besoin de symboles, de chiffres ni de majuscules."
    ),
    "Add another word or two. Uncommon words are better.": _l(
        "Ajoutez un ou deux mots, de préférence peu courants."
    ),
    "Use a longer keyboard pattern with more turns.": _l("Évitez les motifs du clavier."),
    "Avoid repeated words and characters.": _l("Évitez de répéter des mots ou des caractères."),
    "Avoid sequences.": _l("Évitez les suites de lettres ou de chiffres."),
    "Avoid recent years.": _l("Évitez les années récentes."),
    "Avoid years that are associated with you.": _l("Évitez les années qui vous concernent."),
    "Avoid dates and years that are associated with you.": _l(
        "Évitez les dates et les années qui vous concernent."
    ),
    "Capitalization doesn't help very much.": _l("Une majuscule au début n’aide pas beaucoup."),
    "All-uppercase is almost as easy to guess as all-lowercase.": _l(
        "Tout en majuscules n’est guère plus sûr que tout en minuscules."
    ),
    "Reversed words aren't much harder to guess.": _l(
        "Un mot écrit à l’envers n’est guère plus difficile à deviner."
    ),
    "Predictable substitutions like '@' instead of 'a' don't help very much.": _l(
        "Remplacer « a » par « @ » ou « o » par « 0 » n’aide pas beaucoup."
    ),
}
_OWN_WORDS = _l("Évitez votre nom et votre adresse e-mail.")
_FRENCH_WORD = _l("Ce mot est trop courant pour servir de mot de passe.")
_GENERIC = _l("Ajoutez un ou deux mots, de préférence peu courants.")
_PASSPHRASE = _l("Une courte phrase de quatre ou cinq mots est facile à retenir et sûre.")


@dataclass(frozen=True)
class Assessment:
    """What the rule thinks of one password.

    `score` is zxcvbn's 0–4, capped at 1 while the length is outside the bounds, so the meter
    never says *Fort* for a password the rule refuses: acceptable ⇔ score ≥ 3.
    """

    score: int
    acceptable: bool
    too_short: bool
    too_long: bool
    empty: bool
    min_length: int
    advice: tuple = ()

    @property
    def label(self):
        return "" if self.empty else LABELS[self.score]

    @property
    def level(self) -> int:
        """How many bars the meter fills (a typed password always shows at least one)."""
        return 0 if self.empty else max(self.score, 1)

    @property
    def message(self):
        """Why the rule refuses it, in one French sentence ("" when acceptable)."""
        if self.acceptable:
            return ""
        if self.empty:
            return _l("Choisissez un mot de passe.")
        if self.too_long:
            return _l("Le mot de passe ne peut dépasser %(n)s caractères.", n=MAX_LENGTH)
        if self.too_short:
            return _l("Le mot de passe doit compter au moins %(n)s caractères.", n=self.min_length)
        first = self.advice[0] if self.advice else _GENERIC
        return _l("Ce mot de passe est trop facile à deviner. %(why)s", why=first)


def configured_min_length() -> int:
    if has_app_context():
        return int(current_app.config.get("PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH))
    return DEFAULT_MIN_LENGTH


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def known_words(user_inputs: Iterable[str | None]) -> list[str]:
    """The person's e-mail and name, and their pieces, as zxcvbn should know them."""
    words: list[str] = []
    for raw in user_inputs:
        if not raw:
            continue
        value = str(raw).strip().lower()
        variants = [value, _strip_accents(value)]
        for v in list(variants):
            if "@" in v:
                local, _, domain = v.partition("@")
                variants += [local, domain, *domain.split(".")]
        for v in list(variants):
            parts = [p for p in re.split(r"[\s._\-+@']+", v) if p]
            variants += [*parts, "".join(parts)]
        for v in variants:
            if len(v) >= 3 and v not in words:
                words.append(v)
    return words


def _advice(result: dict, sequence: list[dict]) -> tuple:
    hints = []
    dictionaries = {m.get("dictionary_name") for m in sequence if m.get("pattern") == "dictionary"}
    if "user_inputs" in dictionaries:
        tokens = {
            m.get("matched_word", "") for m in sequence if m.get("dictionary_name") == "user_inputs"
        }
        hints.append(_FRENCH_WORD if tokens <= _FRENCH_COMMON else _OWN_WORDS)
    feedback = result.get("feedback") or {}
    warning = feedback.get("warning") or ""
    if warning:
        hints.append(_WARNINGS.get(warning, _GENERIC))
    for suggestion in feedback.get("suggestions") or ():
        hints.append(_SUGGESTIONS.get(suggestion, _GENERIC))
    return tuple(hints)


def _unique(hints: Iterable) -> tuple:
    """Keep the order, drop repeats (lazy strings compare by their text)."""
    seen, unique = set(), []
    for hint in hints:
        if str(hint) not in seen:
            seen.add(str(hint))
            unique.append(hint)
    return tuple(unique)


def _mostly_own_words(password: str, own_words: list[str]) -> bool:
    """The password is the person's name or address, rearranged, with little else."""
    text = re.sub(r"[^0-9a-z]", "", _strip_accents(password.lower()))
    rest = text
    for word in sorted(own_words, key=len, reverse=True):
        word = re.sub(r"[^0-9a-z]", "", _strip_accents(word))
        if len(word) >= 3:
            rest = rest.replace(word, "")
    return rest != text and len(rest) < MIN_OTHER_CHARS


# zxcvbn keeps the user's words in a module-level dictionary while it runs: one call at a time.
_zxcvbn_lock = threading.Lock()


def assess(
    password: str | None, user_inputs: Iterable[str | None] = (), min_length: int | None = None
) -> Assessment:
    """Rate `password`; `user_inputs` (e-mail, name…) count as words an attacker knows."""
    password = password or ""
    min_length = configured_min_length() if min_length is None else min_length
    if not password:
        return Assessment(0, False, True, False, True, min_length, ())
    if len(password) > MAX_LENGTH:
        hint = _l("%(n)s caractères au maximum.", n=MAX_LENGTH)
        return Assessment(0, False, False, True, False, min_length, (hint,))
    too_short = len(password) < min_length
    own = known_words(user_inputs)
    with _zxcvbn_lock:
        result = zxcvbn(
            password[:ZXCVBN_MAX_CHARS],
            user_inputs=[*own, *FRENCH_COMMON],
            max_length=ZXCVBN_MAX_CHARS,
        )
    score = int(result["score"])
    advice = _advice(result, result.get("sequence") or [])
    if _mostly_own_words(password, own):
        score = min(score, 1)
        advice = (_OWN_WORDS, *advice)
    if too_short:
        score = min(score, 1)
        advice = (_l("Au moins %(n)s caractères.", n=min_length), *advice)
    acceptable = score >= ACCEPTABLE_SCORE
    advice = () if acceptable else (*(advice or (_GENERIC,)), _PASSPHRASE)
    return Assessment(score, acceptable, too_short, False, False, min_length, _unique(advice)[:3])
