/**
 * Who refreshes, once a claim window ends: the earliest claim wins (the tabs of one browser share its
 * wall clock), the lowest tab id among claims made at the same moment. Claims heard before this tab's
 * own count too: their windows overlap this one, and they count this claim the same way. Claims older
 * than three windows before this one belong to a finished round and are ignored.
 * @example
 * const holder = electHolder(claims, tab, claimedAt, 100);
 * if (holder === tab) runTheRefresh();
 */
export function electHolder(claims: ReadonlyMap<string, number>, tab: string, claimedAt: number, windowMs: number): string {
  let winner = tab;
  let first = claimedAt;
  for (const [id, at] of claims) {
    if (at > claimedAt - 3 * windowMs && (at < first || (at === first && id < winner))) [winner, first] = [id, at];
  }
  return winner;
}
