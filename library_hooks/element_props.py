"""Drop a prop from an element's server-side copy without sending the element to the page again.

NiceGUI (3.18.0) sends an element whole to its page whenever its `_props` (an observable dict, the documented
way a custom element sets its props) changes. A card and a chart hand their history to the page as a prop
(~150 kB for a chart); once the page holds it, the server need not keep a copy per viewer, and sending the
element again would only tell the page to drop what it uses. NiceGUI's own elements do this with
`_props.suspend_updates()`, which is not part of its documented API.
"""
from __future__ import annotations

from library_hooks import require

WRITTEN_FOR = {'nicegui': '3.18.0'}
require(__name__, WRITTEN_FOR)  # before importing what it relies on, which another version may have moved

from nicegui.element import Element


def forget_prop(element: Element, name: str) -> None:
    """Remove the prop here; the page keeps what it has (nothing is sent)."""
    with element._props.suspend_updates():
        element._props.pop(name, None)
