"""What the layout promises a newcomer (README, How the engine works), checked so it stays true."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# replica/ too: `--demo` serves it to users, and its modules are read like the app's.
PRODUCT = ('main.py', 'settings.py', 'market', 'scraper', 'prices', 'cluster', 'cryptoui', 'symbol_search', 'alerts',
           'launcher', 'replica')


def test_the_web_process_never_loads_playwright():
    """The engine runs in a process of its own: the web server must not pay for Playwright's import."""
    check = "import cryptoui.app, sys; assert 'playwright' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, '-c', check], cwd=ROOT, check=True, timeout=60)


def test_the_domain_imports_neither_nicegui_nor_playwright():
    check = ("import market.entry, market.history, market.symbols, market.formatting, sys; "
             "assert not {'nicegui', 'playwright'} & set(sys.modules)")
    subprocess.run([sys.executable, '-c', check], cwd=ROOT, check=True, timeout=60)


def test_no_product_module_is_over_300_lines():
    files = [p for name in PRODUCT for p in ([ROOT / name] if name.endswith('.py') else (ROOT / name).rglob('*.py'))
             if p.exists()]
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > 300}
    assert not long, f'split these by idea: {long}'


def _product_modules() -> dict[str, Path]:
    modules = {}
    for name in PRODUCT:
        for path in [ROOT / name] if name.endswith('.py') else (ROOT / name).rglob('*.py'):
            dotted = '.'.join(path.relative_to(ROOT).with_suffix('').parts)
            modules[dotted.removesuffix('.__init__')] = path
    return modules


def _imports(path: Path, dotted: str, known: set[str]) -> set[str]:
    """The product modules `path` imports, anywhere in it (a function-level import is still a dependency)."""
    package = dotted if path.name == '__init__.py' else dotted.rpartition('.')[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parent = package.rsplit('.', node.level - 1)[0] if node.level > 1 else package
                base = f'{parent}.{base}' if base else parent
            names = [f'{base}.{alias.name}' for alias in node.names] + [base]
        else:
            continue
        found |= {name for name in names if name in known}
    return found - {dotted}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_product_modules():
    """A package's __init__ that re-exports its modules is not a cycle of ideas; any other loop is."""
    modules = _product_modules()
    graph = {name: _imports(path, name, set(modules)) for name, path in modules.items()}
    for name in modules:  # `from package import x` loads package/__init__ first: not a dependency
        graph[name] = {other for other in graph[name] if not (modules[other].name == '__init__.py'
                                                                and name.startswith(other + '.'))}
    assert not _cycles(graph), _cycles(graph)

