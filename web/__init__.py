"""The web front end: a Litestar app rendering HTMX pages; it talks to the API only over HTTP."""
