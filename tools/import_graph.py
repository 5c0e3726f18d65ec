"""Which package imports which, with counts: `python tools/import_graph.py [CHECKOUT]`.

A package-level view of the layout (issue 19's before/after graph): every import of every product module, read
with `ast` (function-level imports too), grouped by top-level package and, for cryptoui/, by its subpackages.
The tests, the bench, the tools and the harness are left out: they drive the product, they are not part of it.
"""
from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

LEFT_OUT = {'tests', 'bench', 'tools', 'harness', 'docs'}
BY_SUBPACKAGE = {'cryptoui'}


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in root.rglob('*.py'):
        parts = path.relative_to(root).parts
        if parts[0] in LEFT_OUT or parts[0].startswith('.'):
            continue
        found['.'.join(path.relative_to(root).with_suffix('').parts).removesuffix('.__init__')] = path
    return found


def group(dotted: str, known: dict[str, Path]) -> str:
    parts = dotted.split('.')
    is_package = dotted in known and known[dotted].name == '__init__.py'
    if parts[0] in BY_SUBPACKAGE and (len(parts) > 2 or (len(parts) == 2 and is_package)):
        return f'{parts[0]}/{parts[1]}'
    return parts[0]


def imported(path: Path, dotted: str, members: bool = False) -> list[str]:
    """Every name module `dotted` (at `path`) imports, anywhere in it, relative imports made absolute;
    `members`: also `pkg.name` for each `from pkg import name` (it may be a module: tests/test_layout.py)."""
    package = dotted if path.name == '__init__.py' else dotted.rpartition('.')[0]
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parent = package.rsplit('.', node.level - 1)[0] if node.level > 1 else package
                base = f'{parent}.{base}' if base else parent
            names.append(base)
            if members:
                names += [f'{base}.{alias.name}' for alias in node.names]
    return names


def edges(root: Path) -> Counter[tuple[str, str]]:
    known = modules(root)
    tops = {name.split('.')[0] for name in known}
    counted: Counter[tuple[str, str]] = Counter()
    for dotted, path in known.items():
        source = group(dotted, known)
        for name in imported(path, dotted):
            if name.split('.')[0] in tops and (target := group(name, known)) != source:
                counted[(source, target)] += 1
    return counted


def main() -> None:
    by_source: dict[str, list[str]] = {}
    for (source, target), count in sorted(edges(Path(sys.argv[1] if len(sys.argv) > 1 else '.')).items()):
        by_source.setdefault(source, []).append(f'{target} ({count})')
    for source, targets in sorted(by_source.items()):
        print(f'{source:22} -> {", ".join(targets)}')


if __name__ == '__main__':
    main()
