"""The Playwright side, in the engine's own process: one shared Chromium, one tab per symbol, each page's socket
read first and its DOM second. The web process imports only engine_messages from here (no Playwright)."""
