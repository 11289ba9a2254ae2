"""Pages read two at a time (pipeline.readers.overlap): in order, the PDF touched from one
thread only, no more pages held than threads, failures at their page's turn; and a scan read
so gives the report it gives read page by page."""
from __future__ import annotations

import dataclasses
import threading

import pytest

import pipeline
from pipeline.config import DEFAULT
from pipeline.readers.overlap import read_overlapped


def test_pages_are_worked_on_at_once_and_handed_back_in_order():
    caller = threading.get_ident()
    both_working = threading.Barrier(2, timeout=10)   # broken unless two works run together
    rendered_in, held, most_held = [], [0], [0]

    def render(item):
        rendered_in.append(threading.get_ident())
        held[0] += 1
        most_held[0] = max(most_held[0], held[0])
        return item * 10

    def work(item, rendered):
        if item < 2:
            both_working.wait()
        return rendered + 1

    out = []
    for item, result in read_overlapped(range(6), render, work, threads=2):
        held[0] -= 1
        out.append((item, result))
    assert out == [(i, i * 10 + 1) for i in range(6)]
    assert set(rendered_in) == {caller}      # pdfium is not thread-safe: renders stay in the caller's thread
    assert most_held[0] == 2


def test_a_failing_page_is_raised_after_the_pages_before_it():
    def work(item, rendered):
        if item == 2:
            raise ValueError("page 3 unreadable")
        return item

    got = []
    with pytest.raises(ValueError, match="page 3"):
        for item, result in read_overlapped(range(5), lambda item: item, work, threads=2):
            got.append(result)
    assert got == [0, 1]


def test_one_thread_reads_the_pages_in_turn():
    order = []
    out = list(read_overlapped(range(3), lambda i: order.append(("render", i)) or i,
                               lambda i, r: order.append(("work", i)) or r, threads=1))
    assert [r for _, r in out] == [0, 1, 2]
    assert order == [("render", 0), ("work", 0), ("render", 1), ("work", 1), ("render", 2), ("work", 2)]


def test_a_scan_reads_the_same_two_pages_at_a_time_as_one_at_a_time(variants):
    def cells(threads: int):
        config = dataclasses.replace(DEFAULT, cpu_threads=threads)
        assert config.page_threads == min(2, threads)
        data = pipeline.extract(variants["scan150"], config).to_json()
        return data["cells"], data["pages"], (data["agency"], data["year"])

    assert cells(1) == cells(2)
