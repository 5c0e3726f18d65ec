"""The header's connection indicator: live, reconnecting or offline, as the browser's own socket sees it.

Only the browser knows whether its link to the server is up (a server-side flag could not be pushed
over a dead socket), so a small script follows NiceGUI's Socket.IO client and writes the state to
`<html data-connection=...>`; CSS shows the matching label. Vue never renders <html>, so nothing
overwrites it.
"""
from __future__ import annotations

from nicegui import ui

STATES = {  # state -> (label, colour of the dot)
    'connecting': ('Connecting…', '#94a3b8'),
    'live': ('Live', '#22c55e'),
    'reconnecting': ('Reconnecting…', '#f59e0b'),
    'offline': ('Offline', '#ef4444'),
}

# Socket.IO keeps retrying after a drop; after this many failed attempts in a row we say "offline".
FAILED_ATTEMPTS_BEFORE_OFFLINE = 2

SCRIPT = f"""
<script>
(() => {{
  const root = document.documentElement;
  const show = (state) => {{ root.dataset.connection = state; }};
  let failures = 0;
  const follow = (socket) => {{
    socket.on('connect', () => {{ failures = 0; show('live'); }});
    socket.on('disconnect', (reason) => show(reason === 'io client disconnect' ? 'offline' : 'reconnecting'));
    socket.io.on('reconnect_attempt', () => {{ if (!navigator.onLine) show('offline'); }});
    socket.io.on('reconnect_error', () => {{
      if (++failures >= {FAILED_ATTEMPTS_BEFORE_OFFLINE} || !navigator.onLine) show('offline');
    }});
    if (socket.connected) show('live');
  }};
  window.addEventListener('offline', () => show('offline'));
  window.addEventListener('online', () => show(window.socket && window.socket.connected ? 'live' : 'reconnecting'));
  // NiceGUI assigns window.socket when its Vue app mounts, after this script ran: catch the assignment.
  if (window.socket) {{ follow(window.socket); return; }}
  let current;
  Object.defineProperty(window, 'socket', {{
    configurable: true,
    get: () => current,
    set: (socket) => {{ current = socket; if (socket) follow(socket); }},
  }});
}})();
</script>
"""

CSS = '\n'.join(
    [
        '<style>',
        '.connection { display: inline-flex; align-items: center; gap: .4rem; padding: .25rem .65rem;',
        '  border-radius: 999px; background: rgba(255,255,255,.12); font-size: .8rem; font-weight: 600;',
        '  white-space: nowrap; }',
        '.connection > span { display: none; align-items: center; gap: .4rem; }',
        '.connection .dot { width: .55rem; height: .55rem; border-radius: 50%; display: inline-block; }',
        'html:not([data-connection]) .connection > [data-state="connecting"] { display: inline-flex; }',
    ]
    + [f'html[data-connection="{state}"] .connection > [data-state="{state}"] {{ display: inline-flex; }}'
       for state in STATES]
    + ['</style>']
)


def install() -> None:
    """The script and styles go into every page's HTML, so they run before NiceGUI's socket exists."""
    ui.add_head_html(CSS, shared=True)
    ui.add_body_html(SCRIPT, shared=True)


def indicator() -> None:
    """One label per state; CSS shows the one that matches the browser's socket."""
    with ui.element('div').classes('connection').props('role=status aria-live=polite data-testid=connection'):
        for state, (label, color) in STATES.items():
            with ui.element('span').props(f'data-state={state}'):
                ui.element('span').classes('dot').style(f'background: {color}')
                ui.label(label)
