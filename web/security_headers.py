"""Headers every web page is sent with: a Content-Security-Policy and frame protection.

The pages load only their own script (htmx, served from /static) and stylesheet, with no inline
script or style, so the policy allows `'self'` and nothing inline: an injected `<script>` or
`on…=` attribute does not run. HTMX is told not to inject its indicator `<style>` (base.html's
htmx-config), which the policy would refuse. `form-action` is left out on purpose: signing out
may redirect a form's POST to the identity provider's end-session page on another origin.
Framing is refused both ways browsers read it (`frame-ancestors`, `X-Frame-Options`).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: it sees every answer, error pages and unknown paths included."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in HEADERS.items():
            if name not in headers:
                headers[name] = value
