"""Classroom mode in a real browser: a teacher and two students, each in a browser
context of their own, on one shared game at ``/classroom``.

The teacher opens a game (its title is markup, which must show as text) and gets the
teacher link with its key; a student's context opening the board without the key (or
with a wrong one) sees one message and no control. The students take seats (the US and
Japan: the US student's typed name survives Japan taking a seat first), choose each
round, and every page sees the same quarter advance; Japan's student then closes the
tab, the seat goes back to its rules and the game goes on to its end. Because both
students took their advisers' advice, the game must end exactly where the rule-based
run of the same seed ends. Then a second server on the same database file shows the
game again from the teacher link, and closing it asks for a second click.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from model.model import PaxSilicaModel
from model.wording import plural
from tests.browser import ARTIFACTS, Watch, free_port, start_server, stop_server, wait_serving
from tests.conftest import app_env

TITLE = "<img src=x onerror=alert(1)> **bold**"

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


def path_of(url: str) -> str:
    """A link's path and query (the same game on another server)."""
    u = urlsplit(url)
    return f"{u.path}?{u.query}"


def test_students_take_seats_choose_and_see_the_same_quarters(
    app_url, browser, classroom_db, tmp_path
):
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
        teacher.locator(".pax-class-title input").fill(TITLE)
        teacher.locator(".pax-class-timer input").fill("")
        teacher.locator(".pax-class-quarters input").fill(str(QUARTERS))
        teacher.locator(".pax-class-open").click()
        teacher.wait_for_selector(".pax-class-start", timeout=30_000)
        code = re.search(r"Game code (\w+)", teacher.inner_text(".pax-round")).group(1)
        # the title is shown as typed, never as markup
        assert TITLE in teacher.inner_text(".pax-round")
        assert teacher.locator(".pax-round img").count() == 0
        teacher_url = teacher.locator(".pax-teacher-link").get_attribute("href")
        student_url = teacher.locator(".pax-student-link").get_attribute("href")
        assert student_url.startswith(app_url.rstrip("/"))  # the server's own address
        teacher_url, student_url = path_of(teacher_url), path_of(student_url)
        key = re.search(r"key=([\w-]+)", teacher_url).group(1)
        assert f"game={code}" in student_url and "key" not in student_url
        assert key not in student_url and key not in teacher.locator(".pax-class-qr").get_attribute(
            "src"
        )
        assert f"key={key}" in teacher.url  # the address bar is the teacher link

        # a student without the key (or with a wrong one) gets one message, no board
        for link in (f"{server}?game={code}&key=not-the-key", f"{server}?game={code}&key="):
            us.goto(link)
            us.wait_for_selector(".pax-class-denied, .pax-take", timeout=90_000)
            if "key=&" in link + "&":  # an empty key is no key: the student's page
                assert us.locator(".pax-class-start").count() == 0
                continue
            assert us.inner_text(".pax-class-denied") == (
                f"This link has no teacher key for game {code}"
            )
            assert us.locator(".pax-class-start").count() == 0
            assert "Traceback" not in us.inner_text("body")

        # the US student types a name; Japan's takes a seat first; the name survives
        us.goto(app_url.rstrip("/") + student_url)
        us.wait_for_selector(".pax-take-USA", timeout=90_000)
        us.locator(".pax-student-name input").fill("Ada")
        japan.goto(server)
        japan.locator(f".pax-game-{code} .pax-join").click(timeout=90_000)
        japan.locator(".pax-student-name input").fill("Ken")
        japan.locator(".pax-take-JPN").click()
        japan.wait_for_selector(".pax-my-seat", timeout=30_000)
        us.wait_for_function(
            "() => document.querySelector('.pax-take-JPN').textContent.includes('Ken')",
            timeout=30_000,
        )
        assert us.locator(".pax-student-name input").input_value() == "Ada"
        us.locator(".pax-take-USA").click()
        us.wait_for_selector(".pax-my-seat", timeout=30_000)
        assert "Ada" in us.inner_text(".pax-my-seat")
        # the teacher's board shows who sits where (both: Ada sat down after Ken, and the
        # board may have drawn Ken's seat before hers)
        teacher.wait_for_function(
            "() => ['Ken', 'Ada'].every(n => "
            "document.querySelector('.pax-seats').innerText.includes(n))",
            timeout=30_000,
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
        # the teacher sets a timer while Japan's round waits: the countdown ticks
        teacher.locator(".pax-class-timer-set input").fill("120")
        teacher.locator(".pax-class-set-timer").click()
        teacher.wait_for_selector(".pax-time-left", timeout=30_000)
        first = int(teacher.inner_text(".pax-time-left"))
        teacher.wait_for_function(
            f"() => Number(document.querySelector('.pax-time-left').innerText) <= {first - 2}",
            timeout=10_000,
        )
        assert first <= 120
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
        assert f"{plural(ref.members, 'member')}," in status, status
        assert f"credibility {ref.credibility:.2f}" in status, status
        assert us.inner_text(".pax-status") == status
        assert "survived to" in status
        for w in watches[:2]:
            w.assert_clean()

        # a second server on the same database: the teacher link brings the game back
        port = free_port()
        log = tmp_path / "app2.log"
        proc = start_server(
            [str(Path(sys.executable).parent / "pax-silica"), "app", "--port", str(port)],
            port,
            log,
            env=app_env(classroom_db),
        )
        try:
            second = f"http://127.0.0.1:{port}/"
            wait_serving(proc, second, log)
            us.goto(second + student_url.lstrip("/"))  # not resumed yet: students wait
            us.wait_for_selector(".pax-class-denied", timeout=90_000)
            assert "not open yet" in us.inner_text(".pax-class-denied")
            teacher.goto(second + teacher_url.lstrip("/"))
            teacher.wait_for_selector(".pax-class-close", timeout=90_000)
            assert f"{QUARTERS} of {QUARTERS} quarters played" in teacher.inner_text(".pax-round")
            assert teacher.inner_text(".pax-status") == status  # the same game, replayed
            seats = teacher.inner_text(".pax-seats")
            assert "last: Ada" in seats and "last: Ken" in seats, seats
            teacher.wait_for_selector(".pax-debrief", timeout=30_000)  # over: the debrief
            # a student on the second server sees the game and no controls
            us.goto(second + student_url.lstrip("/"))
            us.wait_for_selector(".pax-take-USA", timeout=90_000)
            assert us.locator(".pax-class-start, .pax-class-close").count() == 0
            # closing asks for a second click
            teacher.locator(".pax-class-close").click()
            teacher.wait_for_selector(".pax-class-close-confirm", timeout=30_000)
            time.sleep(1)
            assert us.locator(".pax-take-USA").count() == 1  # not closed yet
            teacher.locator(".pax-class-close-cancel").click()
            teacher.wait_for_selector(".pax-class-close-confirm", state="detached")
            teacher.locator(".pax-class-close").click()
            teacher.locator(".pax-class-close-confirm").click()
            us.wait_for_selector(".pax-class-error", timeout=30_000)
            assert us.inner_text(".pax-class-error") == "The game was closed by the teacher."
            for w in watches[:2]:
                w.assert_clean()
        finally:
            stop_server(proc)
    finally:
        for ctx in contexts:
            try:
                ctx.close()
            except Exception:
                pass
