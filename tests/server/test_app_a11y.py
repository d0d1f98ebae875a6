"""The pages on a projector and on a phone, checked by axe-core (the accessibility engine
of the browsers' developer tools, from the npm registry) in Debian's Chromium: no serious
or critical finding; on a 390 px phone the controls start folded away and nothing is wider
than the screen; and still no request outside 127.0.0.1."""

from __future__ import annotations

import re

import pytest

from tests.browser import Watch, serious_violations

SIZES = {"projector": (1024, 768), "laptop": (1440, 900), "phone": (390, 844)}


def open_at(browser, url: str, size: str):
    w, h = SIZES[size]
    ctx = browser.new_context(viewport={"width": w, "height": h})
    watch = Watch(ctx)
    page = ctx.new_page()
    page.goto(url)
    return ctx, page, watch


def wider_than_the_screen(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_main_page_has_no_serious_accessibility_finding(app_url, browser, size):
    ctx, page, watch = open_at(browser, app_url, size)
    try:
        page.wait_for_selector(".pax-status", timeout=90_000)
        page.wait_for_selector(".pax-chart-network", timeout=60_000)
        page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=30_000)
        assert page.locator("h1").count() >= 1
        if size == "phone":  # the controls' drawer starts closed; the menu opens it
            page.wait_for_function(
                "() => !document.querySelector('.v-navigation-drawer--open')", timeout=30_000
            )
            assert page.locator(".pax-status").is_visible()
            assert wider_than_the_screen(page) <= 0
            page.get_by_label(re.compile("Show or hide the controls")).click()
            page.wait_for_selector(".v-navigation-drawer--open .pax-reset", timeout=30_000)
            page.wait_for_function(  # the drawer has slid in (mid-way its text is faint)
                """() => ['none', 'matrix(1, 0, 0, 1, 0, 0)'].includes(getComputedStyle(
                    document.querySelector('.v-navigation-drawer--open')).transform)""",
                timeout=30_000,
            )
            page.wait_for_timeout(500)
        assert serious_violations(page) == []
        watch.assert_clean()
    finally:
        ctx.close()


def test_the_classroom_lobby_and_a_seat_work_on_a_phone(app_url, browser):
    teacher_ctx, teacher, _ = open_at(browser, app_url + "classroom", "laptop")
    ctx, phone, watch = open_at(browser, app_url + "classroom", "phone")
    try:
        phone.wait_for_selector(".pax-class-open", timeout=90_000)
        assert serious_violations(phone) == []
        teacher.wait_for_selector(".pax-class-open", timeout=90_000)
        teacher.locator(".pax-class-title input").fill("Phones")
        teacher.locator(".pax-class-open").click()
        teacher.wait_for_selector(".pax-class-start", timeout=30_000)
        code = re.search(r"Game code (\w+)", teacher.inner_text(".pax-round")).group(1)
        phone.goto(f"{app_url}classroom?game={code}")
        phone.wait_for_selector(".pax-take-USA", timeout=90_000)
        phone.locator(".pax-student-name input").fill("Ada")
        phone.locator(".pax-take-USA").click()
        phone.wait_for_selector(".pax-my-seat", timeout=30_000)
        assert wider_than_the_screen(phone) <= 0
        for css in (".pax-my-seat", ".pax-event-log"):
            if phone.locator(css).count():
                box = phone.locator(css).first.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 391, (css, box)
        assert serious_violations(phone) == []
        watch.assert_clean()
    finally:
        ctx.close()
        teacher_ctx.close()
