/**
 * A DNS server for the rehearsal, in the role of Docker's embedded DNS (127.0.0.11): it answers
 * A queries for the Compose service names with the address each "container" has now, and
 * NXDOMAIN for anything else. Just enough of RFC 1035 for nginx's resolver.
 */
import dgram from 'node:dgram';

/** A running DNS server whose answers can change (a recreated container's new address). */
export interface NameServer {
  /** Sets (or, with null, removes) the address of a name. */
  set(name: string, address: string | null): void;
  close(): Promise<void>;
}

/** Starts the server on `address`:53 (UDP). */
export async function startNameServer(address: string, names: Record<string, string>): Promise<NameServer> {
  const table = new Map(Object.entries(names));
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    const answer = respond(query, table);
    if (answer) socket.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(53, address, () => resolve());
  });
  return {
    set: (name, value) => (value === null ? table.delete(name) : table.set(name, value)),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function respond(query: Buffer, table: Map<string, string>): Buffer | null {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let at = 12;
  while (at < query.length && query[at] !== 0) {
    const length = query[at]!;
    labels.push(query.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += length + 1;
  }
  const questionEnd = at + 5; // the zero label, QTYPE, QCLASS
  if (questionEnd > query.length) return null;
  const type = query.readUInt16BE(at + 1);
  const address = table.get(labels.join('.').toLowerCase());
  const header = Buffer.from(query.subarray(0, 12));
  const flags = 0x8000 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (address ? 0 : 3); // QR, RD copied, RA, NXDOMAIN
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(address && type === 1 ? 1 : 0, 6);
  header.writeUInt32BE(0, 8);
  const question = query.subarray(12, questionEnd);
  if (!address || type !== 1) return Buffer.concat([header, question]);
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // the name of the question
  record.writeUInt16BE(1, 2); // A
  record.writeUInt16BE(1, 4); // IN
  record.writeUInt32BE(600, 6); // Docker's TTL
  record.writeUInt16BE(4, 10);
  address.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
  return Buffer.concat([header, question, record]);
}
