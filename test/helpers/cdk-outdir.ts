import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * A CDK `App` without an `outdir` synthesizes into a fresh `cdk.outXXXX` in the temp folder
 * and leaves it there. Give each test file one output folder (its Apps synthesize one after
 * another) and remove it when the file is done.
 */
const outdir = mkdtempSync(path.join(tmpdir(), 'topic-webhooks-cdk-'));
process.env.CDK_OUTDIR = outdir;
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
