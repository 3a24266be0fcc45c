"""Who is deciding, and that a form really came from the queue's own page.

- Users: every configured token belongs to a user (``DOCANALYZER_QUEUE_TOKENS=alice=T1,bob=T2``; the
  service's ``DOCANALYZER_API_TOKEN`` belongs to the ``--user`` of ``serve``, else ``api``). With no
  token configured the queue is a local session and the user is ``--user`` (else the login name).
  Scripts send ``Authorization: Bearer``; a browser signs in once with its token and gets a signed,
  HttpOnly, SameSite=Strict session cookie (it never holds the token itself).
- CSRF: each browser gets a random cookie; every form carries an HMAC of it under the server's secret.
  A page on another site can neither read the cookie nor compute the HMAC, and SameSite=Strict keeps
  the cookie off its requests anyway. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "docanalyzer_queue_session"
CSRF_COOKIE = "docanalyzer_queue_csrf"
SESSION_SECONDS = 12 * 3600


def local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "local"


@dataclass(frozen=True)
class Guard:
    """Users, tokens and the signing secret of one running queue."""

    tokens: tuple[tuple[str, str], ...]
    """(user, token) pairs; empty: a local session without sign-in."""
    default_user: str
    secret: bytes

    @classmethod
    def build(cls, *, api_token: str | None, users: tuple[tuple[str, str], ...], user: str | None,
              secret: str | None) -> Guard:
        tokens = (*users, (user or "api", api_token)) if api_token else tuple(users)
        key = secret.encode("utf-8") if secret else secrets.token_bytes(32)
        return cls(tokens=tokens, default_user=user or local_user(), secret=key)

    @property
    def open(self) -> bool:
        """No token configured: everyone who reaches the (loopback) address is the local user."""
        return not self.tokens

    def user_for_token(self, given: str | None) -> str | None:
        if self.open:
            return self.default_user
        if not given:
            return None
        found = None
        for user, token in self.tokens:  # look at every token: the time does not say which one matched
            if hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
                found = found or user
        return found

    def _sign(self, message: str) -> str:
        return hmac.new(self.secret, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def session_cookie(self, user: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_SECONDS)
        name = base64.urlsafe_b64encode(user.encode("utf-8")).decode("ascii")
        body = f"{name}.{expires}"
        return f"{body}.{self._sign('session|' + body)}"

    def user_for_session(self, cookie: str | None, now: float | None = None) -> str | None:
        if self.open:
            return self.default_user
        parts = (cookie or "").split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._sign("session|" + body), parts[2]):
            return None
        if int(parts[1]) < (now or time.time()):
            return None
        try:
            user = base64.urlsafe_b64decode(parts[0].encode("ascii")).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if any(user == u for u, _ in self.tokens) else None

    @staticmethod
    def new_csrf_cookie() -> str:
        return secrets.token_urlsafe(32)

    def csrf_token(self, cookie: str) -> str:
        return self._sign("csrf|" + cookie)

    def csrf_ok(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token:
            return False
        return hmac.compare_digest(self.csrf_token(cookie), token)
