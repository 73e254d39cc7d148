import { EventEmitter } from 'node:events';
import type { TopicSignal } from './model.ts';

const topicKey = (cacheName: string, topicName: string) => JSON.stringify([cacheName, topicName]);

/** Publish and subscribe in one process (local mode): a publish wakes the topic's waiting subscribers at once. */
export class InProcessTopicSignal implements TopicSignal {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  notify(cacheName: string, topicName: string): void {
    this.emitter.emit(topicKey(cacheName, topicName));
  }

  wait(cacheName: string, topicName: string, ms: number): Promise<void> {
    const key = topicKey(cacheName, topicName);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(key, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.on(key, done);
    });
  }
}

/** Separate containers (AWS): nothing to notify; a subscriber waits, then reads the log again. */
export const pollingTopicSignal: TopicSignal = {
  notify: () => undefined,
  wait: (_cacheName, _topicName, ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
