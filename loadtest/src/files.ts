/** Files the load test writes: reports (user-chosen paths) and the bots' cached media. */
import fs from 'node:fs';
import path from 'node:path';

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync loops forever under /proc (e.g. /proc/x),
 * and a report path is user input.
 */
export function ensureDir(dir: string): void {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return;
  if (stat) throw new Error(`${dir} is not a directory`);
  const parent = path.dirname(dir);
  if (parent === dir) throw new Error(`${dir} does not exist`);
  ensureDir(parent);
  fs.mkdirSync(dir);
}

/**
 * Writes a file whole (temp file + rename), so a reader — another run sharing a cache — never sees half
 * of it; a failed write leaves no temp file behind.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  ensureDir(path.dirname(path.resolve(file)));
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, content);
    fs.renameSync(temp, file);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}
