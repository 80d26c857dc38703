"""Reading a page as a browser would, and signing in through the real form.

`sign_in` is the one way tests sign someone in, with Flask's test client or with Chromium.
"""

from __future__ import annotations

import re

from tests.support.factories import PASSWORD

SIGN_IN = "/connexion"


def extract_csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def csrf_token(client, path: str = "/confidentialite") -> str:
    """The CSRF token a page of the client's session carries, read as a browser would."""
    return extract_csrf(client.get(path).get_data(as_text=True))


def sign_in(target, who, password: str = PASSWORD, *, remember=False, base="", check=True, **kw):
    """Sign `who` (a user, or an e-mail address) in through the sign-in form.

    `target` is a Flask test client (returns the form's answer; `check` asserts it is the
    redirect of a success; `follow_redirects` is passed on), or a Playwright page of the app
    served at `base` (returns once the home page greets them: the form is sent by htmx, and the
    next navigation must not race it).
    """
    email = getattr(who, "email", who)
    if hasattr(target, "goto"):
        target.goto(f"{base}{SIGN_IN}")
        target.get_by_label("Adresse e-mail").fill(email)
        target.get_by_label("Mot de passe").fill(password)
        if remember:
            target.get_by_label("Rester connecté·e sur cet appareil").check()
        target.get_by_role("button", name="Se connecter").click()
        target.wait_for_url(f"{base}/")
        if getattr(who, "full_name", None):
            target.get_by_role("heading", name=f"Bienvenue, {who.full_name}").wait_for()
        return target
    data = {"email": email, "password": password, "csrf_token": csrf_token(target)}
    if remember:
        data["remember"] = "y"
    response = target.post(SIGN_IN, data=data, **kw)
    if check:
        assert response.status_code in (302, 303), f"could not sign in as {email}"
    return response


def signed_in(app, who, password: str = PASSWORD):
    """A test client of its own, signed in as `who`."""
    client = app.test_client()
    sign_in(client, who, password)
    return client
