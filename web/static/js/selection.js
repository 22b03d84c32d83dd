// Selection and focus in the folder listing (role="grid"): click, Shift-click
// (range), Ctrl/Cmd-click (toggle), select all; one row holds tabindex=0
// (roving focus) so Tab enters the list once and arrows move inside it.

export class Selection extends EventTarget {
  constructor(list, rowsEl) {
    super();
    this.list = list;
    this.rowsEl = rowsEl;
    this.anchor = null;
  }

  rows() { return Array.from(this.rowsEl.querySelectorAll(':scope > .row')); }
  selected() { return this.rows().filter((r) => r.getAttribute('aria-selected') === 'true'); }
  focused() { return this.rowsEl.querySelector(':scope > .row[tabindex="0"]'); }

  changed() { this.dispatchEvent(new Event('change')); }

  set(row, on) { row.setAttribute('aria-selected', on ? 'true' : 'false'); }

  focus(row, scroll = true) {
    if (!row) return;
    for (const r of this.rowsEl.querySelectorAll(':scope > .row[tabindex="0"]')) r.tabIndex = -1;
    row.tabIndex = 0;
    row.focus({ preventScroll: !scroll });
    if (scroll) row.scrollIntoView({ block: 'nearest' });
  }

  only(row) {
    for (const r of this.selected()) this.set(r, false);
    if (row) this.set(row, true);
    this.anchor = row;
    this.changed();
  }

  toggle(row) {
    this.set(row, row.getAttribute('aria-selected') !== 'true');
    this.anchor = row;
    this.changed();
  }

  range(row, add = false) {
    const rows = this.rows();
    const a = rows.indexOf(this.anchor ?? rows[0]);
    const b = rows.indexOf(row);
    if (b < 0) return;
    const [lo, hi] = a <= b ? [Math.max(a, 0), b] : [b, a];
    rows.forEach((r, i) => {
      if (i >= lo && i <= hi) this.set(r, true);
      else if (!add) this.set(r, false);
    });
    this.changed();
  }

  all() {
    for (const r of this.rows()) this.set(r, true);
    this.changed();
  }

  clear() {
    for (const r of this.selected()) this.set(r, false);
    this.anchor = null;
    this.changed();
  }

  /** A click on a row, as Windows Explorer treats it. */
  click(row, e) {
    if (e.shiftKey) this.range(row, e.ctrlKey || e.metaKey);
    else if (e.ctrlKey || e.metaKey) this.toggle(row);
    else this.only(row);
    this.focus(row, false);
  }

  /** The row `delta` steps from the focused one (grid view: `cols` per line). */
  step(delta) {
    const rows = this.rows();
    if (!rows.length) return null;
    const cur = this.focused();
    const i = cur ? rows.indexOf(cur) : -1;
    if (i < 0) return rows[0];
    return rows[Math.min(rows.length - 1, Math.max(0, i + delta))];
  }

  /** Rows per line in the current layout (1 in list view). */
  columns() {
    const rows = this.rows();
    if (rows.length < 2) return 1;
    const top = rows[0].offsetTop;
    let n = 0;
    for (const r of rows) { if (r.offsetTop !== top) break; n += 1; }
    return Math.max(1, n);
  }
}
