/**
 * A username claimed by two customers cannot be given to either: a login would deliver one customer's files
 * as the other's. Such accounts are left out (every claimant), the rest stay on: one customer.yaml mistake
 * must not stop every customer's SFTP, or the gateway.
 */
export function withoutSharedUsernames<A extends { customer: string; username: string }>(accounts: A[]): { accounts: A[]; shared: Map<string, string[]> } {
  const claimants = new Map<string, string[]>();
  for (const account of accounts) claimants.set(account.username, [...(claimants.get(account.username) ?? []), account.customer]);
  const shared = new Map([...claimants].filter(([, customers]) => customers.length > 1));
  return { accounts: accounts.filter((account) => !shared.has(account.username)), shared };
}

export function sharedUsernameMessage(username: string, customers: string[]): string {
  return `SFTP username "${username}" is claimed by customers ${customers.map((c) => `"${c}"`).join(' and ')}: usernames are unique across customers, so none of them can log in with it until one is renamed`;
}
