// Data from the gateway (topic names, keys, bodies) is untrusted text: it only ever reaches the page through
// textContent and setAttribute, never as markup.

/** A new element; `text` becomes its textContent, other attributes are set as strings (false/null/undefined: left out). */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') element.textContent = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children);
  return element;
}

/** Writes only on change, so a poll that brings the same numbers leaves the DOM (and a reader's selection) alone. */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Makes `tbody` show one row per item, in order, reusing the row of each key that is already there: a poll
 * updates cells in place instead of rebuilding the table, so focus, selection and screen-reader position survive.
 *
 * spec: {
 *   key(item): string                   identity of a row across polls
 *   rowTestId: string                   data-testid of every row
 *   rowAttributes?(item): object        attributes fixed at creation (derived from the key)
 *   columns: [{ testId, text(item): string, className?, rowHeader?, onActivate?(key) }]
 *                                       rowHeader: a <th scope="row">; onActivate: the cell holds a button
 *   expanded?(item): boolean            aria-expanded of the row's button and its "selected" look
 *   emptyText: string                   the only row when there are no items
 * }
 */
export function syncRows(tbody, items, spec) {
  const existing = new Map();
  for (const row of tbody.querySelectorAll(':scope > tr[data-key]')) existing.set(row.dataset.key, row);
  const rows = items.map((item) => {
    const key = spec.key(item);
    let row = existing.get(key);
    if (row) existing.delete(key);
    else row = createRow(spec, key, item);
    spec.columns.forEach((column, i) => {
      const cell = row.cells[i];
      setText(column.onActivate ? cell.firstElementChild : cell, column.text(item));
    });
    if (spec.expanded) {
      const expanded = spec.expanded(item);
      row.classList.toggle('selected', expanded);
      for (const button of row.querySelectorAll('button')) button.setAttribute('aria-expanded', String(expanded));
    }
    return row;
  });
  if (rows.length === 0) {
    rows.push(el('tr', { class: 'empty' }, el('td', { colspan: spec.columns.length, text: spec.emptyText })));
  }
  rows.forEach((row, i) => {
    if (tbody.children[i] !== row) tbody.insertBefore(row, tbody.children[i] ?? null);
  });
  while (tbody.children.length > rows.length) tbody.lastElementChild.remove();
}

function createRow(spec, key, item) {
  const row = el('tr', { 'data-key': key, 'data-testid': spec.rowTestId, ...(spec.rowAttributes?.(item) ?? {}) });
  for (const column of spec.columns) {
    const cell = el(column.rowHeader ? 'th' : 'td', { 'data-testid': column.testId, class: column.className, scope: column.rowHeader ? 'row' : undefined });
    if (column.onActivate) {
      const button = el('button', { type: 'button', class: 'link' });
      button.addEventListener('click', () => column.onActivate(key));
      cell.append(button);
    }
    row.append(cell);
  }
  return row;
}
