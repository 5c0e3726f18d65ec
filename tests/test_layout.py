"""What the layout promises a newcomer (README, How the engine works), checked so it stays true."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tools.import_graph import imported

ROOT = Path(__file__).resolve().parents[1]
# replica/ too: `--demo` serves it to users, and its modules are read like the app's.
PRODUCT = ('main.py', 'settings.py', 'market', 'scraper', 'prices', 'cluster', 'cryptoui', 'symbol_search', 'alerts',
           'launcher', 'replica', 'library_hooks')
# Not product code: what the tests and the bench drive the product with, the tests, the benchmarks, the doc tools.
DRIVERS = ('harness', 'tests', 'bench', 'tools')
# The size and cycle rules hold for harness/ too: a newcomer reads its steps beside every test that uses them.
STYLED = (*PRODUCT, 'harness')


def test_the_web_process_never_loads_playwright():
    """The engine runs in a process of its own: the web server must not pay for Playwright's import."""
    check = "import cryptoui.app, sys; assert 'playwright' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, '-c', check], cwd=ROOT, check=True, timeout=60)


def test_the_domain_imports_neither_nicegui_nor_playwright():
    check = ("import market.entry, market.history, market.symbols, market.formatting, sys; "
             "assert not {'nicegui', 'playwright'} & set(sys.modules)")
    subprocess.run([sys.executable, '-c', check], cwd=ROOT, check=True, timeout=60)


def test_the_seam_and_the_cluster_runtime_import_no_nicegui():
    """A change reaches the UI through the source's listeners: prices/ and a node's runtime need no UI library."""
    check = ("import prices, cluster.prices, sys; "
             "assert not {m for m in sys.modules if m.split('.')[0] in ('nicegui', 'playwright')}")
    subprocess.run([sys.executable, '-c', check], cwd=ROOT, check=True, timeout=60)


def test_the_launcher_and_its_valkey_hook_never_load_nicegui():
    """The launcher's process supervises the others and finds valkey-server through library_hooks.valkey_binary:
    neither may pay for NiceGUI (or the web app) at import or when the binary is looked up."""
    check = ("import library_hooks.valkey_binary, launcher.cluster, launcher.servers, sys; "
             "assert library_hooks.valkey_binary.bundled_server(); "
             "assert launcher.servers.valkey_binary(); "
             "assert not {'nicegui', 'cryptoui'} & {name.split('.')[0] for name in sys.modules}, sorted(sys.modules)")
    subprocess.run([sys.executable, '-c', check], cwd=ROOT, check=True, timeout=60)


def _files(names: tuple[str, ...]) -> list[Path]:
    return [path for name in names for path in ([ROOT / name] if name.endswith('.py') else (ROOT / name).rglob('*.py'))
            if path.exists()]


def test_no_product_or_harness_module_is_over_300_lines():
    long = {str(p.relative_to(ROOT)): n for p in _files(STYLED) if (n := len(p.read_text().splitlines())) > 300}
    assert not long, f'split these by idea: {long}'


def _modules(names: tuple[str, ...]) -> dict[str, Path]:
    modules = {}
    for path in _files(names):
        dotted = '.'.join(path.relative_to(ROOT).with_suffix('').parts)
        modules[dotted.removesuffix('.__init__')] = path
    return modules


def _imports(path: Path, dotted: str, known: set[str]) -> set[str]:
    """The product modules `path` imports, anywhere in it (a function-level import is still a dependency)."""
    return {name for name in imported(path, dotted, members=True) if name in known} - {dotted}


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


def test_no_import_cycles_between_product_or_harness_modules():
    """A package's __init__ that re-exports its modules is not a cycle of ideas; any other loop is."""
    modules = _modules(STYLED)
    graph = {name: _imports(path, name, set(modules)) for name, path in modules.items()}
    for name in modules:  # `from package import x` loads package/__init__ first: not a dependency
        graph[name] = {other for other in graph[name] if not (modules[other].name == '__init__.py'
                                                                and name.startswith(other + '.'))}
    assert not _cycles(graph), _cycles(graph)



def _importers_of(packages: set[str], names: tuple[str, ...]) -> dict[str, set[str]]:
    """The files under `names` that import any of `packages` (absolute imports; a relative one stays inside)."""
    found: dict[str, set[str]] = {}
    for path in _files(names):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or getattr(node, 'level', 0):
                continue
            if hits := {name.split('.')[0] for name in _names(node)} & packages:
                found.setdefault(str(path.relative_to(ROOT)), set()).update(hits)
    return found


def _names(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or '']


def test_product_code_imports_nothing_that_drives_it():
    users = _importers_of(set(DRIVERS), PRODUCT)
    assert not users, f'product code must run without the tests, the bench or their harness: {users}'


def test_the_bench_the_tools_and_the_harness_do_not_import_the_tests():
    users = _importers_of({'tests'}, ('bench', 'tools', 'harness'))
    assert not users, f'these use what they take from tests/: move it to harness/ (both then share it): {users}'
