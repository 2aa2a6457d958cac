/**
 * A real PostgreSQL server for tests: a fresh cluster (initdb) in a mkdtemp folder, one superuser
 * with a password (SCRAM over TCP, like the official postgres image), listening on 127.0.0.1 on a
 * free port with its unix socket inside the temp folder, started without pg_ctl so that the PID
 * we hold is the postmaster's, stopped by that PID.
 *
 * PostgreSQL refuses to run as root: when the tests run as root, the server runs as the
 * `postgres` user the distribution's package creates (else `nobody`), owner of the temp folder.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findFreePort, killOnExit, waitFor } from '../support/net.js';

const run = promisify(execFile);

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** PostgreSQL's major version, e.g. 15. */
  majorVersion: number;
  pid: number;
  /** Runs one SQL statement through psql as the superuser and returns its unaligned output. */
  query(sql: string, database?: string): Promise<string>;
  /** Fast shutdown (SIGINT), SIGKILL after 20 s; removes the data folder. */
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** The superuser's name. @default "postgres" */
  user?: string;
  /** The superuser's password (what compose gives the postgres image as POSTGRES_PASSWORD). */
  password: string;
  /** @default 60000 */
  startTimeoutMs?: number;
}

/**
 * The folder with initdb and postgres: the one of `initdb` on PATH, else the newest
 * /usr/lib/postgresql/<major>/bin (Debian's postgresql-<major> package puts them only there).
 */
export function postgresBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'initdb'))) {
      return path.dirname(
        execFileSync('readlink', ['-f', path.join(dir, 'initdb')], { encoding: 'utf8' }).trim(),
      );
    }
  }
  const debian = '/usr/lib/postgresql';
  const majors = existsSync(debian)
    ? readdirSync(debian)
        .filter((name) => /^\d+$/.test(name) && existsSync(path.join(debian, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) {
    throw new Error(
      'PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin): ' +
        'install it, e.g. `apt-get install postgresql-15`',
    );
  }
  return path.join(debian, majors[0]!, 'bin');
}

/** uid/gid to run PostgreSQL as: undefined when we are not root (run as ourselves). */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // no such user: try the next one
    }
  }
  throw new Error(
    'running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as',
  );
}

export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const binDir = postgresBinDir();
  const user = options.user ?? 'postgres';
  const account = serverAccount();
  const root = mkdtempSync(path.join(tmpdir(), 'postgres-test-'));
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'socket');
  const passwordFile = path.join(root, 'password');
  writeFileSync(passwordFile, options.password, { mode: 0o600 });
  execFileSync('mkdir', ['-p', socketDir]);
  if (account) execFileSync('chown', ['-R', `${account.uid}:${account.gid}`, root]);
  const asServer = account ? { uid: account.uid, gid: account.gid } : {};
  const remove = () => rmSync(root, { recursive: true, force: true });

  try {
    await run(
      path.join(binDir, 'initdb'),
      [
        '--pgdata',
        dataDir,
        '--username',
        user,
        '--pwfile',
        passwordFile,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { ...asServer, timeout: 120_000 },
    );
  } catch (err) {
    remove();
    throw new Error(`initdb failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  rmSync(passwordFile);
  const majorVersion = Number(
    execFileSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).match(/(\d+)\./)?.[1],
  );

  const port = await findFreePort();
  const child: ChildProcess = spawn(
    path.join(binDir, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      // A test database: durability across a machine crash does not matter, speed does.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { ...asServer, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const forget = killOnExit(child);
  const output: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  });

  const stop = async () => {
    forget();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT'); // fast shutdown: roll back open transactions, close connections
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    remove();
  };

  const psql = async (sql: string, database = 'postgres') =>
    (
      await run(
        path.join(binDir, 'psql'),
        [
          '-h',
          socketDir,
          '-p',
          String(port),
          '-U',
          user,
          '-d',
          database,
          '-X',
          '-A',
          '-t',
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          sql,
        ],
        { ...asServer, timeout: 60_000 },
      )
    ).stdout.trim();

  try {
    await waitFor(async () => (await psql('SELECT 1')) === '1', {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      what: `PostgreSQL on 127.0.0.1:${port}`,
      abortIf: () => {
        if (child.exitCode !== null)
          throw new Error(`postgres exited with code ${child.exitCode}: ${output.join('')}`);
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    host: '127.0.0.1',
    port,
    user,
    password: options.password,
    majorVersion,
    pid: child.pid ?? -1,
    query: psql,
    stop,
  };
}
