"""Classroom mode in a real browser: a teacher and two students, each in a browser
context of their own, on one shared game at ``/classroom``.

The students take seats (the US and Japan), choose each round, and every page sees the
same quarter advance; Japan's student then closes the tab, the seat goes back to its rules
and the game goes on to its end. Because both students took their advisers' advice, the
game must end exactly where the rule-based run of the same seed ends.
"""

from __future__ import annotations

import re
import time

from model.model import PaxSilicaModel
from tests.browser import ARTIFACTS, Watch

QUARTERS = 3


def played(page) -> int:
    """Quarters completed, as the page's game line says."""
    m = re.search(r"(\d+) of \d+ quarters played", page.inner_text(".pax-round"))
    assert m
    return int(m.group(1))


def wait_played(page, q: int, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            if played(page) >= q:
                return
        except Exception:  # the page is redrawing
            pass
        time.sleep(0.3)
    raise AssertionError(
        f"page stuck at {page.inner_text('.pax-round')!r}, wanted {q} quarters played"
    )


def choose_advice(page, timeout: float = 30) -> None:
    """Wait for this seat's turn and take the advisers' advice."""
    page.locator(".pax-seat-advice").first.click(timeout=timeout * 1000)
    page.wait_for_selector(".pax-seat-waiting", timeout=timeout * 1000)


def test_students_take_seats_choose_and_see_the_same_quarters(app_url, browser):
    server = app_url + "classroom"
    contexts, pages, watches = [], [], []
    for _ in range(3):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        watches.append(Watch(ctx))
        contexts.append(ctx)
        pages.append(ctx.new_page())
    teacher, us, japan = pages
    try:
        teacher.goto(server)
        teacher.wait_for_selector(".pax-class-open", timeout=90_000)
        teacher.locator(".pax-class-timer input").fill("")
        teacher.locator(".pax-class-quarters input").fill(str(QUARTERS))
        teacher.locator(".pax-class-open").click()
        teacher.wait_for_selector(".pax-class-start", timeout=30_000)
        code = re.search(r"Game code (\w+)", teacher.inner_text(".pax-round")).group(1)

        for page, seat, name in ((us, "USA", "Ada"), (japan, "JPN", "Ken")):
            page.goto(server)
            page.locator(f".pax-game-{code} .pax-join").click(timeout=90_000)
            page.locator(".pax-student-name input").fill(name)
            page.locator(f".pax-take-{seat}").click()
            page.wait_for_selector(".pax-my-seat", timeout=30_000)
        # the teacher's board shows who sits where
        teacher.wait_for_function(
            "() => document.querySelector('.pax-seats').innerText.includes('Ken')", timeout=30_000
        )
        seats = teacher.inner_text(".pax-seats")
        assert re.search(r"United States\s+Ada", seats) and re.search(r"Japan\s+Ken", seats)

        teacher.locator(".pax-class-start").click()
        # quarter 1: the US chooses (China follows its rules), then the states' round
        choose_advice(us)
        teacher.wait_for_function(
            "() => document.querySelector('.pax-round').innerText.includes('waiting for')"
            " && document.querySelector('.pax-round').innerText.includes('Japan')",
            timeout=30_000,
        )
        assert played(teacher) == 0 and "2026 Q1 under way" in teacher.inner_text(".pax-round")
        choose_advice(japan)
        for page in pages:  # every page sees the quarter advance
            wait_played(page, 1)
        teacher.screenshot(path=str(ARTIFACTS / "classroom_teacher.png"), full_page=True)
        us.screenshot(path=str(ARTIFACTS / "classroom_student.png"), full_page=True)

        # Japan's student closes the tab: the seat goes back to its rules
        contexts[2].close()
        for q in range(2, QUARTERS + 1):
            choose_advice(us)
            wait_played(us, q, timeout=60)
        wait_played(teacher, QUARTERS)
        teacher.wait_for_function(
            "() => document.querySelector('.pax-round').innerText.includes('over')", timeout=30_000
        )
        notes = teacher.inner_text(".pax-notes")
        assert "Ken" in notes and "Japan follows its rules" in notes, notes
        assert re.search(r"Japan\s+rules", teacher.inner_text(".pax-seats"))

        # everyone took the advice: the game is the rule-based run of the same seed
        ref = PaxSilicaModel("baseline", rng=0, steps=QUARTERS)
        ref.run()
        status = teacher.inner_text(".pax-status")
        assert (
            f"{ref.members} members" in status and f"credibility {ref.credibility:.2f}" in status
        ), status
        assert us.inner_text(".pax-status") == status
        for w in watches[:2]:
            w.assert_clean()
    finally:
        for ctx in contexts:
            try:
                ctx.close()
            except Exception:
                pass
