import { execFileSync } from 'node:child_process';

/**
 * Vitest global setup: tests import the client as a user would, through its package entry
 * (`@topic-webhooks/client`, whose `exports` point at the built `client/dist`), so build it
 * first. The build is incremental: a no-op when nothing changed.
 */
export default function buildClient(): void {
  execFileSync('npm', ['run', '--silent', 'build', '--workspace=client'], { stdio: 'inherit' });
}
