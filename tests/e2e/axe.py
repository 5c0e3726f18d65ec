"""axe-core, the accessibility checker most accessibility tests run, injected into a page.

The file is pinned by version and checksum and fetched from the npm registry by `./run.sh test` (run.sh's
ensure_axe) into tests/e2e/vendor/; these constants must match run.sh's.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from playwright.sync_api import Page

VERSION = '4.14.1'
SHA256 = '29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c'
FILE = Path(__file__).parent / 'vendor' / f'axe-core-{VERSION}.min.js'
# The standards the audit used: WCAG 2.x A and AA, and axe's best practices (landmarks, one h1).
TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']


def source() -> str:
    if not FILE.exists():
        raise AssertionError(f'{FILE} is missing: `./run.sh test` fetches it (npm pack axe-core@{VERSION}); or run '
                             'the ensure_axe step of run.sh by hand')
    data = FILE.read_bytes()
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise AssertionError(f'{FILE} is not axe-core {VERSION} as pinned: delete it and let run.sh fetch it again')
    return data.decode()


def violations(page: Page) -> list[dict]:
    """Every violation axe finds on the page as it is now: [{id, impact, help, nodes: [target, summary]}]."""
    if not page.evaluate('() => typeof window.axe === "object"'):
        page.add_script_tag(content=source())
    found = page.evaluate('''async (tags) => {
        const result = await window.axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                       resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => [n.target.join(' '), n.failureSummary])}));
    }''', TAGS)
    return found


def report(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f'{violation["id"]} ({violation["impact"]}, {len(violation["nodes"])}): {violation["help"]}')
        lines += [f'    {target}: {summary.splitlines()[-1].strip() if summary else ""}'
                  for target, summary in violation['nodes'][:6]]
    return '\n'.join(lines)
