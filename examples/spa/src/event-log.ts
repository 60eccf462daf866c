import type { EventOrigin } from '@tokenward/core';
import { el } from './dom.js';
import { clockTime, describeOrigin } from './format.js';

/** How an entry is coloured: good news, a hiccup, an ending, or the page's own note. */
export type EntryKind = 'good' | 'warn' | 'bad' | 'note';

export interface LogEntry {
  /** The session event (`refreshed`, `session-expired`...) or the page's action. */
  name: string;
  kind: EntryKind;
  detail: string;
  /** Whether this tab or a peer caused it; shown as a chip. */
  origin?: EventOrigin;
  /** A `status` transition: hidden unless "status changes" is ticked. */
  statusChange?: boolean;
}

const MAX_ENTRIES = 80;

/** The event log, newest first, with a timestamp per entry and data attributes tests can read. */
export function createEventLog(list: HTMLOListElement, showStatus: HTMLInputElement): (entry: LogEntry) => void {
  const placeholder = el('li', 'empty', 'Nothing yet.');
  list.append(placeholder);
  const syncStatus = () => list.classList.toggle('with-status', showStatus.checked);
  showStatus.addEventListener('change', syncStatus);
  syncStatus();

  return (entry) => {
    placeholder.remove();
    const item = el('li', entry.statusChange ? 'status-change fresh' : 'fresh');
    item.dataset.event = entry.name;
    if (entry.origin) item.dataset.origin = entry.origin;
    const time = el('time', '', clockTime(Date.now()));
    const name = el('span', 'name', entry.name);
    name.dataset.kind = entry.kind;
    const detail = el('span', 'detail', entry.detail);
    if (entry.origin) {
      const who = el('span', `who ${entry.origin}`, describeOrigin(entry.origin));
      detail.prepend(who, ' ');
    }
    item.append(time, name, detail);
    list.prepend(item);
    while (list.children.length > MAX_ENTRIES) list.lastElementChild?.remove();
  };
}
