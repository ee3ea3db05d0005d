"""Spam scoring: every check adds points and a reason a human can read in the quarantine."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from .tokens import TokenCheck

HONEYPOT = 100
TAMPERED = 100
MISSING_TOKEN = 60
EXPIRED = 60
TOO_FAST = 60
RATE_LIMITED = 60
LINK_IN_NAME = 50
DISPOSABLE = 50
BLOCKED = 100
GIBBERISH = 30

# A short built-in list of throwaway-mail providers; forms can block more domains.
DISPOSABLE_DOMAINS = frozenset({
    "10minutemail.com", "guerrillamail.com", "guerrillamail.net", "sharklasers.com",
    "mailinator.com", "yopmail.com", "trashmail.com", "tempmail.com", "temp-mail.org",
    "getnada.com", "dispostable.com", "maildrop.cc", "throwawaymail.com", "fakeinbox.com",
    "mintemail.com", "mohmal.com", "emailondeck.com", "spamgourmet.com", "mailnesia.com",
    "tempr.email", "discard.email", "burnermail.io", "moakt.com", "tmail.ws", "mytemp.email",
})
LINK_OR_HTML = re.compile(r"https?://|www\.|<[a-z/!]|\[url|&lt;", re.IGNORECASE)
VOWELS = set("aeiouyäöüéèáíóúàâêîôûåæø")


@dataclass
class Verdict:
    score: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: int, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)


@dataclass(frozen=True)
class Signals:
    """What the request told us besides the fields."""

    honeypot: str = ""
    token: TokenCheck | None = None  # None for create-from-site (no token there)
    received_at: datetime | None = None
    min_fill_seconds: int = 0
    rate_limited: bool = False
    blocked_domains: frozenset[str] = frozenset()


def score(fields: dict[str, str], signals: Signals) -> Verdict:
    """Score one submission; the form's threshold decides quarantine."""
    verdict = Verdict()
    if signals.honeypot.strip():
        verdict.add(HONEYPOT, "honeypot field was filled")
    _token_checks(verdict, signals)
    if signals.rate_limited:
        verdict.add(RATE_LIMITED, "rate limit hit: too many submissions from this address")
    for name in ("first_name", "last_name", "company"):
        if LINK_OR_HTML.search(fields.get(name, "")):
            verdict.add(LINK_IN_NAME, f"URL or HTML in {name.replace('_', ' ')}")
    if any(is_gibberish(fields.get(name, "")) for name in ("first_name", "last_name", "message")):
        verdict.add(GIBBERISH, "looks like gibberish")
    _email_checks(verdict, fields.get("email", ""), signals.blocked_domains)
    return verdict


def _token_checks(verdict: Verdict, signals: Signals) -> None:
    token = signals.token
    if token is None:
        return
    if token.problem == "tampered":
        verdict.add(TAMPERED, "form token was tampered with")
    elif token.problem == "missing":
        verdict.add(MISSING_TOKEN, "form token was missing")
    elif token.problem == "expired":
        verdict.add(EXPIRED, "form token expired (page was open too long)")
    if token.issued_at and signals.received_at and signals.min_fill_seconds:
        seconds = (signals.received_at - token.issued_at).total_seconds()
        if seconds < signals.min_fill_seconds:
            verdict.add(TOO_FAST, f"filled in {max(seconds, 0):.1f} s, faster than the "
                                  f"{signals.min_fill_seconds} s minimum")


def _email_checks(verdict: Verdict, email: str, blocked: frozenset[str]) -> None:
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return
    if _matches(domain, blocked):
        verdict.add(BLOCKED, f"blocked email domain {domain}")
    elif _matches(domain, DISPOSABLE_DOMAINS):
        verdict.add(DISPOSABLE, f"disposable email domain {domain}")


def _matches(domain: str, domains: frozenset[str]) -> bool:
    return any(domain == item or domain.endswith("." + item) for item in domains)


def is_gibberish(text: str) -> bool:
    """Keyboard mashing: a long word without vowels, long consonant runs, or random case."""
    for word in re.findall(r"[^\W\d_]+", text):
        lower = word.lower()
        if len(word) >= 6 and not VOWELS & set(lower):
            return True
        if re.search(r"[^aeiouy\W\d_]{6,}", lower):
            return True
        if len(word) >= 8 and _case_flips(word) >= 4:
            return True
    return False


def _case_flips(word: str) -> int:
    return sum(1 for a, b in zip(word, word[1:], strict=False)
               if a.isalpha() and b.isalpha() and a.isupper() != b.isupper())


def parse_domains(text: str) -> frozenset[str]:
    return frozenset(item.strip().lower().lstrip("@") for item in re.split(r"[\s,;]+", text or "")
                     if item.strip())
