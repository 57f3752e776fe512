"""The workshop's screens: the projection keeps every ranking readable beside its QR box, and closing a
workshop takes an explicit second step (issue 11, "Offline and printed" / projection)."""

from playwright.sync_api import expect

from tests.e2e.helpers import log_in
from tests.e2e.test_workshop_flow import EMAIL, create_workshop, offline_context, staff_server  # noqa: F401

COVERED = """(sel) => {
  const box = document.querySelector('.projection__join').getBoundingClientRect();
  return [...document.querySelectorAll(sel)].filter((li) => {
    li.scrollIntoView({block: 'nearest'});
    const r = li.getBoundingClientRect();
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    const top = document.elementFromPoint(cx, cy);
    return !(top && li.contains(top)) || (cx > box.left && cx < box.right && cy > box.top && cy < box.bottom);
  }).map((li) => li.textContent);
}"""


def test_the_qr_box_never_covers_the_rankings(browser, staff_server):  # noqa: F811
    context = offline_context(browser, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        log_in(page, staff_server, EMAIL, next_path="/animation/ateliers")
        code = create_workshop(page, staff_server, "Atelier projection", "Montreuil", "Qu'est-ce qui manque ici ?")
        page.goto(f"{staff_server}/atelier/{code}/projection")
        expect(page.locator("#live-count")).to_have_text("0")
        page.click("#btn-compare")
        expect(page.locator("#compare-metropole li").first).to_be_visible()
        assert page.locator("#compare-metropole li").count() >= 5  # the demo data fills the metropolitan ranking
        assert page.evaluate(COVERED, "#compare-metropole li, #compare-workshop li") == []
        page.click("#btn-compare")
        assert page.evaluate(COVERED, "#live-ranking li, #live-communes li") == []
        expect(page.locator(".projection__join")).to_be_in_viewport()
        join, code = page.locator(".projection__join").bounding_box(), page.locator("#projection-code").bounding_box()
        assert code["x"] + code["width"] <= join["x"] + join["width"] + 1 <= 1366 + 1, (code, join)  # the code is whole
        expect(page.locator("#live-count-label")).to_have_text(
            "contribution"
        )  # « 0 contribution », not « contributions »
        context.watch.assert_quiet()
    finally:
        context.close()


def test_closing_a_workshop_asks_first_and_works_by_keyboard(browser, staff_server):  # noqa: F811
    context = offline_context(browser, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        log_in(page, staff_server, EMAIL, next_path="/animation/ateliers")
        create_workshop(page, staff_server, "Atelier à clore", "Pantin", "Qu'est-ce qui manque ici ?")
        ask = page.locator("#close-workshop-ask")
        expect(page.locator("#close-workshop")).to_be_hidden()  # one press does not close it
        ask.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#close-workshop")).to_be_visible()
        expect(page.locator("#close-workshop-confirm")).to_contain_text("ne pourront plus contribuer")
        page.keyboard.press("Enter")  # closes the disclosure again: still open
        expect(page.locator("#close-workshop")).to_be_hidden()
        assert "/synthese" not in page.url
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        expect(page.locator("#close-workshop")).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_url("**/synthese")
        context.watch.assert_quiet()
    finally:
        context.close()
