"""The domain: symbols, a symbol's price state and its history. Imports neither NiceGUI nor Playwright."""
