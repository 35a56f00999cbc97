import ssh2 from 'ssh2';

export interface SshKeyPair {
  /** OpenSSH private key. */
  private: string;
  /** `ssh-ed25519 AAAA... comment` (or ssh-rsa). */
  public: string;
}

const MAX_ATTEMPTS = 20;

/**
 * ssh2's key generator, checked against ssh2's own parser: for ed25519 it emits a pair the parser rejects about
 * once in 256 (a public key whose first byte is zero loses that byte: mscdex/ssh2#1390, #1513), and such a host
 * key, once saved, would stop every later start of the SFTP server. A rejected pair is generated again.
 */
export function generateSshKeyPair(type: 'ed25519' | 'rsa', comment?: string): SshKeyPair {
  for (let attempt = 1; ; attempt++) {
    const options = comment ? { comment } : {};
    const pair = type === 'rsa' ? ssh2.utils.generateKeyPairSync('rsa', { bits: 3072, ...options }) : ssh2.utils.generateKeyPairSync('ed25519', options);
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
    if (attempt >= MAX_ATTEMPTS) throw new Error(`ssh2 generated ${MAX_ATTEMPTS} ${type} key pairs it cannot read back`);
  }
}
