import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A CDK `App` without an `outdir` synthesizes into a fresh `cdk.outXXXX` in the temp folder
 * and leaves it there. Give each test file one output folder (its Apps synthesize one after
 * another), removed when the test process exits: removing it after the file's last test raced
 * with a synthesis still writing there (an uncaught ENOENT seen once under load).
 */
const outdir = mkdtempSync(path.join(tmpdir(), 'topic-webhooks-cdk-'));
process.env.CDK_OUTDIR = outdir;
process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
