"""Alert ids kept sorted by a number (a level, or a percent), so a price finds the ones it reaches by bisection.

Keys live in a typed array (8 bytes each) beside a list of ids. Looking costs O(log n); taking the k ids a
price reached costs O(k) plus one memmove of the rest, which is what firing them costs anyway.
"""
from __future__ import annotations

import bisect
from array import array


class SortedIds:
    __slots__ = ('keys', 'ids')

    def __init__(self) -> None:
        self.keys = array('d')
        self.ids: list[str] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, key: float, alert_id: str) -> None:
        index = bisect.bisect_right(self.keys, key)
        self.keys.insert(index, key)
        self.ids.insert(index, alert_id)

    def remove(self, key: float, alert_id: str) -> bool:
        index = bisect.bisect_left(self.keys, key)
        while index < len(self.keys) and self.keys[index] == key:
            if self.ids[index] == alert_id:
                del self.keys[index]
                del self.ids[index]
                return True
            index += 1
        return False

    def take_up_to(self, value: float, inclusive: bool = True) -> list[str]:
        """Remove and return the ids whose key is <= value (< value when not inclusive)."""
        end = (bisect.bisect_right if inclusive else bisect.bisect_left)(self.keys, value)
        if not end:
            return []
        taken = self.ids[:end]
        del self.keys[:end]
        del self.ids[:end]
        return taken

    def take_from(self, value: float, inclusive: bool = True) -> list[str]:
        """Remove and return the ids whose key is >= value (> value when not inclusive)."""
        start = (bisect.bisect_left if inclusive else bisect.bisect_right)(self.keys, value)
        if start == len(self.keys):
            return []
        taken = self.ids[start:]
        del self.keys[start:]
        del self.ids[start:]
        return taken
