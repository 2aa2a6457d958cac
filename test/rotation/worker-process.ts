/** A real worker in its own process, configured by environment, for crash tests. */
import { runWorker } from '../../src/worker/run-worker.js';

runWorker().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
