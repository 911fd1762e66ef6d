"""The page a browser sees when a sign-in is refused.

The callback is a browser navigation, not an API call, so a refusal is a small HTML page in the
person's language, with the reason and a way back to the sign-in page. The stable code is in
`data-error-code` (for support and tests); the provider-specific detail stays in English.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import MediaType, Response
from litestar.datastructures import Cookie
from litestar.openapi.datastructures import ResponseSpec

from api import i18n
from api.i18n import N_
from api.identity.oidc import LoginError

LOCALE_COOKIE = "metodist_lang"

TITLE = N_("Sign-in failed")
BACK = N_("Back to sign-in")
DETAILS = N_("Technical details")
NO_SESSION = N_("You have not been signed in.")

# One sentence per refusal, in the person's language.
REASONS: dict[str, str] = {
    "state_mismatch": N_(
        "This sign-in response does not belong to a sign-in started in this browser, or it has expired. Please "
        "start again."
    ),
    "provider_mismatch": N_(
        "The sign-in response came back from a different sign-in service than the one it was sent to."
    ),
    "issuer_mismatch": N_("The sign-in response names a different identity provider."),
    "provider_error": N_("The identity provider ended the sign-in."),
    "code_missing": N_("The sign-in response carries no authorization code."),
    "code_rejected": N_("The identity provider did not accept the authorization code. It may have been used already."),
    "no_id_token": N_("The identity provider returned no ID token."),
    "malformed_id_token": N_("The identity provider returned an ID token that cannot be read."),
    "alg_not_allowed": N_("The ID token is signed with an algorithm that is not accepted."),
    "unknown_key": N_("The ID token is signed with a key the identity provider does not publish."),
    "bad_signature": N_("The ID token's signature does not verify against the identity provider's keys."),
    "wrong_issuer": N_("The ID token was issued by a different identity provider."),
    "wrong_audience": N_("The ID token was issued for another application."),
    "nonce_mismatch": N_("The ID token does not belong to this sign-in request."),
    "token_expired": N_("The ID token has expired."),
    "token_stale": N_("The ID token was issued too long ago."),
    "token_not_yet_valid": N_("The ID token claims to be issued in the future."),
    "missing_claim": N_("The ID token lacks a required claim."),
    "invalid_claim": N_("The ID token has an invalid claim."),
    "userinfo_mismatch": N_("The identity provider's user information is about another person."),
    "domain_not_allowed": N_(
        "This organisation's sign-in service may only sign in addresses of its own e-mail domains."
    ),
    "wrong_organisation": N_("This sign-in service belongs to another organisation and cannot sign you into this one."),
    "invitation_invalid": N_("The invitation has expired, was revoked or has been used already."),
    "account_disabled": N_("This account has been deactivated. Ask your administrator."),
    "unknown_provider": N_("There is no such sign-in service, or it has been switched off."),
    "provider_misconfigured": N_("This sign-in service is misconfigured. Ask your administrator."),
    "discovery_failed": N_("The identity provider cannot be reached right now. Try again later."),
    "discovery_issuer_mismatch": N_("The identity provider's configuration names a different issuer."),
    "jwks_failed": N_("The identity provider's signing keys cannot be read right now. Try again later."),
    "token_endpoint_failed": N_("The identity provider cannot be reached right now. Try again later."),
    "userinfo_failed": N_("The identity provider's user information cannot be read right now. Try again later."),
}


def request_locale(request: Any) -> str:
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in i18n.LOCALES:
        return chosen
    return i18n.negotiate(request.headers.get("accept-language")) or "ru"


# What the sign-in routes a browser follows answer when sign-in cannot go on (LoginError's statuses).
LOGIN_ERROR_PAGES = {
    status: ResponseSpec(
        data_container=str,
        media_type=MediaType.HTML,
        description="A page in the browser's language saying why sign-in did not complete; no session.",
        generate_examples=False,
    )
    for status in (400, 403, 404, 502, 503)
}


def login_error_page(request: Any, error: LoginError, cookies: list[Cookie] | None = None) -> Response[str]:
    locale = request_locale(request)
    with i18n.use_locale(locale):
        title = i18n.gettext(TITLE)
        reason = i18n.gettext(REASONS[error.code]) if error.code in REASONS else error.message
        body = f"""<!doctype html>
<html lang="{escape(locale)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Metodist</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main id="main" class="container">
<h1>{escape(title)}</h1>
<p class="alert alert-error" role="alert" data-error-code="{escape(error.code)}">{escape(reason)}</p>
<p>{escape(i18n.gettext(NO_SESSION))}</p>
<details><summary>{escape(i18n.gettext(DETAILS))}</summary>
<p><code>{escape(error.code)}</code>: {escape(error.message)}</p></details>
<p><a class="button" href="/sign-in">{escape(i18n.gettext(BACK))}</a></p>
</main></body></html>"""
    return Response(
        body,
        status_code=error.status,
        media_type=MediaType.HTML,
        cookies=cookies or [],
        headers={"Cache-Control": "no-store", "Vary": "Accept-Language, Cookie"},
    )
