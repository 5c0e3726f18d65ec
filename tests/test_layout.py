"""What the layout promises a newcomer (README, How the engine works), checked so it stays true."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ('main.py', 'settings.py', 'market', 'scraper', 'prices', 'cluster', 'cryptoui', 'symbol_search', 'alerts',
           'launcher', 'library_hooks')


def test_the_web_process_never_loads_playwright():
    """The engine runs in a process of its own: the web server must not pay for Playwright's import."""
    check = "import cryptoui.app, sys; assert 'playwright' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, '-c', check], cwd=ROOT, check=True, timeout=60)


def test_the_domain_imports_neither_nicegui_nor_playwright():
    check = ("import market.entry, market.history, market.symbols, market.formatting, sys; "
             "assert not {'nicegui', 'playwright'} & set(sys.modules)")
    subprocess.run([sys.executable, '-c', check], cwd=ROOT, check=True, timeout=60)


def test_the_launcher_and_its_valkey_hook_never_load_nicegui():
    """The launcher's process supervises the others and finds valkey-server through library_hooks.valkey_binary:
    neither may pay for NiceGUI (or the web app) at import or when the binary is looked up."""
    check = ("import library_hooks.valkey_binary, launcher.cluster, launcher.servers, sys; "
             "assert library_hooks.valkey_binary.bundled_server(); "
             "assert launcher.servers.valkey_binary(); "
             "assert not {'nicegui', 'cryptoui'} & {name.split('.')[0] for name in sys.modules}, sorted(sys.modules)")
    subprocess.run([sys.executable, '-c', check], cwd=ROOT, check=True, timeout=60)


def test_no_product_module_is_over_300_lines():
    files = [p for name in PRODUCT for p in ([ROOT / name] if name.endswith('.py') else (ROOT / name).rglob('*.py'))
             if p.exists()]
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > 300}
    assert not long, f'split these by idea: {long}'
