import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite is one process's database: a second process opening the same data directory would write the
 * same files behind the first one's back and corrupt them. The lock is a file naming the holder's
 * pid, created exclusively; one left behind by a process that no longer runs is taken over.
 */
export class DataDirectoryInUse extends Error {
  override name = 'DataDirectoryInUse';
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const heldHere = new Set<string>();

/** Takes the lock on `dataDir` (which must exist) and returns how to release it. */
export function lockDataDirectory(dataDir: string): () => void {
  const path = join(dataDir, 'tributary.lock');
  if (heldHere.has(path)) {
    throw new DataDirectoryInUse(`the data directory ${dataDir} is already open in this process (process ${process.pid}); close it first`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldHere.add(path);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        heldHere.delete(path);
        process.off('exit', release);
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
        } catch {
          // Already gone.
        }
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(path, 'utf8').trim());
      } catch {
        // Removed meanwhile: try again.
      }
      // Our own pid on a lock we do not hold is a dead process's whose pid came round again.
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && running(holder)) {
        throw new DataDirectoryInUse(
          `the data directory ${dataDir} is in use by process ${holder}; the embedded database serves one process at a time (stop it, or use DATABASE_URL for a server)`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirectoryInUse(`could not lock the data directory ${dataDir}`);
}
