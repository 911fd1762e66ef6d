"""Walking the pages as a person without JavaScript would: links followed, forms read as a browser
would post them. Generic on purpose: a page added later is walked and checked with the others.

`crawl` starts at the home page and its navigation and follows links within the app, one page
per kind of page (`pattern`: the path with its ids blanked), so a list of a hundred organisations
costs one visit, not a hundred.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Paths never followed: signing out ends the crawl's session; the API answers JSON, not pages;
# static files and downloads are not pages.
NOT_PAGES = re.compile(r"^/(sign-out|api/|static/)|/export$|/templates/|/report$")
# Verbs of actions that take something away or end it (cl. of the style guide: these ask first).
DESTRUCTIVE = re.compile(r"/(archive|end|remove|suspend|revoke|delete|deactivate|withdraw)$")


@dataclasses.dataclass
class Form:
    page: str  # the page it is on
    method: str
    action: str  # a path
    fields: list[tuple[str, str]]  # what a browser posts when the form is sent as it stands
    hx_vals: str | None  # only HTMX sends these; a browser without JavaScript does not
    buttons: list[str]  # the submit buttons' texts

    @property
    def destructive(self) -> bool:
        return self.method == "post" and bool(DESTRUCTIVE.search(self.action))

    @property
    def pattern(self) -> str:
        return pattern(self.action)


@dataclasses.dataclass
class Page:
    url: str  # path and query
    status: int
    html: str
    links: list[str]
    forms: list[Form]

    @property
    def pattern(self) -> str:
        return pattern(self.url)


def pattern(url: str) -> str:
    """What kind of page a URL is: its path, ids blanked, the query left out."""
    return UUID_RE.sub("{id}", urlsplit(url).path)


class _PageParser(HTMLParser):
    """Links and forms of a page, each form with the values a browser would send."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: tuple[str | None, list[str], bool] | None = None  # value attribute, text, selected
        self._textarea: tuple[str, list[str]] | None = None
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(
                page=self.page,
                method=(a.get("method") or "get").lower(),
                action=a.get("action") or self.page,
                fields=[],
                hx_vals=a.get("hx-vals"),
                buttons=[],
            )
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and "name" in a and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self._form.fields.append((a["name"], a.get("value") or "on"))
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and "name" in a:
            self._select = (a["name"], [])
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value") if "value" in a else None, [], "selected" in a)
        elif tag == "textarea" and "name" in a:
            self._textarea = (a["name"], [])
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button = []

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1].append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None and self._option is not None:
            value, text, selected = self._option
            self._select[1].append((value if value is not None else "".join(text).strip(), selected))
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options = self._select
            chosen = [v for v, s in options if s] or [v for v, _ in options[:1]]
            self._form.fields.extend((name, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea[0], "".join(self._textarea[1])))
            self._textarea = None
        elif tag == "button" and self._button is not None and self._form is not None:
            self._form.buttons.append(" ".join("".join(self._button).split()))
            self._button = None
        elif tag == "form":
            self._form = None


def parse(url: str, status: int, html: str) -> Page:
    parser = _PageParser(urlsplit(url).path)
    parser.feed(html)
    links = []
    for href in parser.links:
        target = urljoin(url, href)
        parts = urlsplit(target)
        if parts.scheme not in {"", "http", "https"} or (
            parts.netloc and not target.startswith(("http://127.0.0.1", "/"))
        ):
            continue
        links.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return Page(url, status, html, links, parser.forms)


async def fetch(client: httpx.AsyncClient, url: str) -> Page:
    answer = await client.get(url)
    html = answer.text if answer.headers.get("content-type", "").startswith("text/html") else ""
    return parse(url, answer.status_code, html)


async def crawl(client: httpx.AsyncClient, *, start: str = "/", limit: int = 120) -> list[Page]:
    """The pages reachable from `start` by links, one per pattern, breadth first (the navigation
    first). Redirects are not followed: a link that sends the person elsewhere is recorded as such."""
    seen: set[str] = set()
    pages: list[Page] = []
    queue: deque[str] = deque([start])
    while queue and len(pages) < limit:
        url = queue.popleft()
        kind = pattern(url)
        if kind in seen or NOT_PAGES.search(urlsplit(url).path):
            continue
        seen.add(kind)
        page = await fetch(client, url)
        pages.append(page)
        queue.extend(link for link in page.links if pattern(link) not in seen)
    return pages


def form_data(form: Form, **changes: str) -> dict[str, list[str]]:
    """What the form sends, as httpx takes it, with some fields set as a person would."""
    data: dict[str, list[str]] = {}
    for name, value in form.fields:
        if name not in changes:
            data.setdefault(name, []).append(value)
    return data | {name: [value] for name, value in changes.items()}


def confirmation(page: Page, action: str) -> Form | None:
    """The form on `page` that confirms `action` (web/confirm.py: the same action with `confirmed=yes`)."""
    return next((f for f in page.forms if f.action == action and ("confirmed", "yes") in f.fields), None)


def offered(pages: list[Page], *, last_of_destructive: bool = True) -> list[Form]:
    """The forms that post, one per kind of action, without signing out. Of destructive ones the
    last on its page (the first row is often the viewer's own: their role, their session)."""
    chosen: dict[str, Form] = {}
    for found in pages:
        for form in found.forms:
            if form.method != "post" or NOT_PAGES.search(form.action):
                continue
            if form.pattern not in chosen or (
                form.destructive and last_of_destructive and chosen[form.pattern].page == form.page
            ):
                chosen[form.pattern] = form
    # What takes something away comes last, and people's roles and sessions last of all.
    return sorted(chosen.values(), key=lambda f: (f.destructive, "/people" in f.action))
