"""Accessibility checks for the browser tests: axe-core's WCAG 2.1 A/AA rules, and a phone's size.

axe-core is fetched at its pinned version by scripts/e2e-deps.sh into .cache/axe-core/; nothing is
downloaded while the tests run.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
FAILING_IMPACTS = ("serious", "critical")
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
MIN_TARGET_PX = 44  # WCAG 2.5.5 (AAA) target size, for the buttons people tap on a phone


def axe_script() -> Path:
    """Return axe.min.js at the version pinned in scripts/e2e-deps.sh."""
    deps = (ROOT / "scripts" / "e2e-deps.sh").read_text()
    version = re.search(r"^AXE_VERSION=(\S+)$", deps, re.MULTILINE).group(1)
    path = ROOT / ".cache" / "axe-core" / version / "axe.min.js"
    if not path.exists():
        raise FileNotFoundError(f"{path}: run `make e2e` (scripts/e2e-deps.sh fetches axe-core)")
    return path


# Finite animations still running (a snackbar fading in, the menu drawer folding away when the
# window narrows) awaited, then two frames drawn: the page at rest.
SETTLE = """() => Promise.all(document.getAnimations()
  .filter(a => a.playState === 'running' && a.effect
    && a.effect.getComputedTiming().endTime !== Infinity)
  .map(a => a.finished.catch(() => null)))
  .then(() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))))"""


def settle(page) -> None:
    """Wait until the page is at rest: its running animations ended and its layout drawn."""
    page.evaluate(SETTLE)


def axe_violations(page) -> list[dict]:
    """Run axe-core's WCAG 2.1 A and AA rules on the page at rest; return its serious and critical
    violations as {"id", "impact", "help", "targets"}.

    The page is shown as to someone who asked for reduced motion (the site then has none), and any
    animation still running is awaited: otherwise a snackbar caught half-faded in reads as grey on
    grey, a contrast no reader ever sees at rest.
    """
    page.wait_for_load_state("load")
    page.emulate_media(reduced_motion="reduce")
    settle(page)
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: page.add_script_tag adds an inline <script>,
        # which the site's Content-Security-Policy (script-src 'self') rightly refuses.
        page.evaluate(axe_script().read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        list(AXE_TAGS),
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]],
        }
        for violation in result["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]


PHONE_PROBLEMS = """([minTarget]) => {
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map(c => '.' + c).join('');
  const wide = document.documentElement.scrollWidth;
  const inner = window.innerWidth;
  const overflowing = wide <= inner ? [] : [...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().right > inner + 1 && el.checkVisibility()
      && !el.parentElement.closest('.dmc-scroll'))  // inside a table's own scrolling box
    .slice(0, 8).map(name);
  const small = [...document.querySelectorAll('.dmc-btn, button')]
    .filter(el => el.checkVisibility({visibilityProperty: true}))
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
      && r.height < minTarget; })
    .map(el => name(el) + ' ' + Math.round(el.getBoundingClientRect().height) + 'px "'
      + el.textContent.trim().slice(0, 30) + '"');
  return {scroll_width: wide, inner_width: inner, overflowing, small};
}"""


def phone_problems(page) -> dict:
    """Return what does not fit a phone: the page's width beyond the screen (and the elements that
    stick out), and the visible buttons lower than MIN_TARGET_PX."""
    return page.evaluate(PHONE_PROBLEMS, [MIN_TARGET_PX])


SCROLL_BOXES = """() => [...document.querySelectorAll('.dmc-scroll')].map(box => ({
  id: (box.querySelector('table') || {}).id || '',
  scrolls: box.scrollWidth > box.clientWidth + 1,
  focusable: box.tabIndex === 0 && box.getAttribute('role') === 'region'
    && !!box.getAttribute('aria-label'),
  tabindex: box.getAttribute('tabindex'),
})).filter(b => b.scrolls !== b.focusable || (!b.scrolls && b.tabindex !== null))"""


def scroll_box_problems(page) -> list[dict]:
    """Return the table boxes that take the focus without scrolling, or scroll without taking it
    (static/js/scroll.js decides, on load and on resize)."""
    return page.evaluate(SCROLL_BOXES)
