"""Measuring a page as a phone user meets it: tap targets, text contrast and clipped tabs.

audit(page) runs in the browser and returns what fails:
- small: visible controls (links, buttons, inputs, selects, summaries) whose box is under 44×44 px; a
  checkbox or radio counts together with its label (tapping the label ticks it), a visually hidden
  file input is skipped (its label is the button), and so is a control inside a closed menu or one that
  takes no taps (pointer-events: none, a chart whose links are listed under it);
- low_contrast: visible text whose colour against its effective background is under 4.5:1 (3:1 for
  large text: 24 px, or 18.66 px bold), WCAG 2.x relative luminance; colours with alpha and
  semi-transparent ancestors are composited, disabled controls are exempt (as WCAG allows);
- clipped: tabs and pills (.nav-link in .nav) that stick out of the viewport or out of a container
  that hides its overflow, and horizontal scrolling of the page itself.
"""

from dataclasses import dataclass, field

MIN_TARGET = 44
MIN_CONTRAST = 4.5
MIN_CONTRAST_LARGE = 3.0

_SCRIPT = r"""
({minTarget, minContrast, minLarge, openAll}) => {
  if (openAll) document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const vw = document.documentElement.clientWidth;
  const shown = (el) => {
    if (!el.getClientRects().length) return false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.visibility === 'hidden' || s.display === 'none' || parseFloat(s.opacity) === 0) return false;
      if (e.tagName === 'DETAILS' && !e.open && e !== el && !el.closest('summary')) return false;
    }
    return true;
  };
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.title || '').trim();
    const id = el.id ? '#' + el.id : '';
    const names = typeof el.className === 'string' ? el.className.trim().split(/\s+/).filter(Boolean) : [];
    const cls = names.length ? '.' + names.slice(0, 3).join('.') : '';
    const shownText = text ? ' “' + text.replace(/\s+/g, ' ').slice(0, 30) + '”' : '';
    return el.tagName.toLowerCase() + id + cls + shownText;
  };
  const union = (a, b) => {
    const left = Math.min(a.left, b.left), top = Math.min(a.top, b.top);
    const right = Math.max(a.right, b.right), bottom = Math.max(a.bottom, b.bottom);
    return {left, top, right, bottom, width: right - left, height: bottom - top};
  };

  // Tap targets.
  const small = [];
  const controls = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]');
  for (const el of controls) {
    if (!shown(el)) continue;
    if (el.classList.contains('file-picker-input')) continue;  // visually hidden; its label is the button
    if (getComputedStyle(el).pointerEvents === 'none') continue;  // not a target (a chart's picture)
    let box = el.getBoundingClientRect();
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
      if (label && shown(label)) box = union(box, label.getBoundingClientRect());
      const wrap = el.closest('label');
      if (wrap) box = union(box, wrap.getBoundingClientRect());
    }
    if (box.width + 0.5 < minTarget || box.height + 0.5 < minTarget) {
      small.push(describe(el) + ' ' + Math.round(box.width) + '×' + Math.round(box.height));
    }
  }

  // Contrast.
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let colour = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const lowContrast = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.nodeValue.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el) || ['SCRIPT', 'STYLE', 'OPTION', 'NOSCRIPT'].includes(el.tagName)) continue;
    seen.add(el);
    if (!shown(el)) continue;
    if (el.closest(':disabled, .disabled, [aria-disabled=true]')) continue;
    const s = getComputedStyle(el);
    const fg = parse(s.color);
    if (!fg) continue;
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) opacity *= parseFloat(getComputedStyle(e).opacity);
    const bg = background(el);
    const text = over({...fg, a: fg.a * opacity}, bg);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const need = (size >= 24 || (size >= 18.66 && bold)) ? minLarge : minContrast;
    const r = ratio(text, bg);
    if (r + 0.005 < need) {
      lowContrast.push(describe(el) + ' ' + r.toFixed(2) + ':1 (' + s.color + ' on rgb(' +
        [bg.r, bg.g, bg.b].map(Math.round).join(',') + '))');
    }
  }

  // Clipped tabs.
  const clipped = [];
  for (const link of document.querySelectorAll('.nav .nav-link')) {
    if (!shown(link)) continue;
    const box = link.getBoundingClientRect();
    let out = box.left < -0.5 || box.right > vw + 0.5;
    for (let e = link.parentElement; e && !out; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.overflowX !== 'visible') {
        const r = e.getBoundingClientRect();
        out = box.left < r.left - 0.5 || box.right > r.right + 0.5;
      }
    }
    if (out) {
      clipped.push(describe(link) + ' ' + Math.round(box.left) + '–' + Math.round(box.right) + ' / ' + vw);
    }
  }
  if (document.documentElement.scrollWidth > vw + 1) {
    clipped.push('页面横向滚动 ' + document.documentElement.scrollWidth + ' > ' + vw);
  }
  return {small, lowContrast, clipped, targets: controls.length};
}
"""


@dataclass
class AuditResult:
    small: list[str] = field(default_factory=list)
    low_contrast: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    targets: int = 0

    @property
    def failures(self) -> list[str]:
        return (
            [f"点击区域过小：{s}" for s in self.small]
            + [f"对比度不足：{s}" for s in self.low_contrast]
            + [f"被截断：{s}" for s in self.clipped]
        )


def audit(page, open_all: bool = True) -> AuditResult:
    """Measure the page as it is now (after any menu was opened); open_all unfolds every <details>
    first (folded step forms, a chart's list), so what they hold is measured too."""
    found = page.evaluate(
        _SCRIPT,
        {
            "minTarget": MIN_TARGET,
            "minContrast": MIN_CONTRAST,
            "minLarge": MIN_CONTRAST_LARGE,
            "openAll": open_all,
        },
    )
    return AuditResult(found["small"], found["lowContrast"], found["clipped"], found["targets"])
