// Entry point of the checker worker thread.
import { runCheckerWorker } from './worker.js';

runCheckerWorker();
