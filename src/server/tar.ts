/**
 * A POSIX ustar archive of a few files, streamed (`GET /events/export`): every system's `tar -x`
 * opens it, and an export needs nothing more — regular files with short relative names — than
 * the format's plain header, so no archive library is worth the dependency.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";

const BLOCK = 512;

/** `value` in octal, zero-padded to `width - 1` digits and NUL-terminated, as ustar's numeric fields are. */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** The 512-byte header of a regular file (name ≤ 100 bytes). */
export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: the name ${name} is longer than 100 bytes`);
  const header = Buffer.alloc(BLOCK);
  const put = (text: string, offset: number) => header.write(text, offset, "utf8");
  put(name, 0);
  put(octal(0o644, 8), 100);
  put(octal(0, 8), 108); // uid
  put(octal(0, 8), 116); // gid
  put(octal(size, 12), 124);
  put(octal(Math.floor(mtime.getTime() / 1000), 12), 136);
  put("        ", 148); // the checksum counts its own field as spaces
  put("0", 156); // a regular file
  put("ustar\0", 257);
  put("00", 263);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  put(`${checksum.toString(8).padStart(6, "0")}\0 `, 148);
  return header;
}

async function* entries(root: string, names: readonly string[]): AsyncGenerator<Buffer> {
  for (const name of names) {
    const path = join(root, name);
    const [bytes, info] = await Promise.all([readFile(path), stat(path)]);
    yield tarHeader(name, bytes.length, info.mtime);
    yield bytes;
    const padding = (BLOCK - (bytes.length % BLOCK)) % BLOCK;
    if (padding > 0) yield Buffer.alloc(padding);
  }
  yield Buffer.alloc(2 * BLOCK); // the end of the archive
}

/** The files `names` (relative to `root`, in order) as a tar stream. */
export function tarStream(root: string, names: readonly string[]): Readable {
  return Readable.from(entries(root, names), { objectMode: false });
}
