"""Pages read two at a time, in order.

Recognition runs on every core (ONNX Runtime's threads), the rest of a page's reading (render
aside) mostly on one: while one page's cells are recognised, the next page is prepared and its
grids found. The PDF is touched only from the caller's thread, since pdfium is not thread-safe:
`render` runs there, `work` in a pool and must not use the document."""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

Item = TypeVar("Item")
Rendered = TypeVar("Rendered")
Result = TypeVar("Result")


def read_overlapped(items: Iterable[Item], render: Callable[[Item], Rendered],
                    work: Callable[[Item, Rendered], Result], threads: int) -> Iterator[tuple[Item, Result]]:
    """(item, work(item, render(item))) for each item, in the items' order. At most `threads`
    pages are rendered and not yet handed back (a 300 dpi page is 25 MB); a failure is raised
    when its page's turn comes, after the pages before it."""
    if threads <= 1:
        for item in items:
            yield item, work(item, render(item))
        return
    with ThreadPoolExecutor(threads, thread_name_prefix="page") as pool:
        in_flight: deque = deque()
        for item in items:
            if len(in_flight) >= threads:
                done, future = in_flight.popleft()
                yield done, future.result()
            in_flight.append((item, pool.submit(work, item, render(item))))
        while in_flight:
            done, future = in_flight.popleft()
            yield done, future.result()
