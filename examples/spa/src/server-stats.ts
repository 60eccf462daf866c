import type { AuthServerStats } from '../../auth-server/src/index.js';

/**
 * Polls the server's own counters every second and shows them. It uses the page's plain `fetch`:
 * it is the dashboard, not the app, so "simulate offline" leaves it alone.
 */
export function pollServerStats(): void {
  const cells = [...document.querySelectorAll<HTMLElement>('[data-stat]')];
  const poll = async () => {
    try {
      const response = await fetch('/auth/stats', { cache: 'no-store' });
      if (!response.ok) return;
      const stats = (await response.json()) as AuthServerStats;
      for (const cell of cells) {
        const value = String(stats[cell.dataset.stat as keyof AuthServerStats] ?? '–');
        if (cell.textContent === value) continue;
        const changed = cell.textContent !== '–';
        cell.textContent = value;
        // A number that just moved is highlighted for a moment.
        const box = cell.closest('.number');
        if (box && changed) {
          box.classList.add('bump');
          setTimeout(() => box.classList.remove('bump'), 900);
        }
      }
    } catch {
      // The server is gone (stopped with Ctrl-C): keep the last numbers.
    }
  };
  void poll();
  setInterval(poll, 1000);
}
