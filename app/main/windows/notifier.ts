// Desktop notifications for long tasks and failures: notify on a change of engine state only,
// not on every refresh, so a flapping engine does not spam the user.
import type { EngineStatus } from '../../shared/types';

export interface NotificationSink {
  show(title: string, body: string): void;
}

export class EngineStateNotifier {
  private last: EngineStatus['state'] | undefined;

  constructor(private readonly sink: NotificationSink) {}

  update(status: EngineStatus): void {
    const previous = this.last;
    this.last = status.state;
    if (previous === status.state || previous === undefined) {
      if (previous === undefined && status.state === 'unreachable') {
        this.sink.show(`${status.engine.name} is unreachable`, status.hint ?? status.message);
      }
      return;
    }
    if (status.state === 'unreachable') {
      this.sink.show(`${status.engine.name} is unreachable`, status.hint ?? status.message);
    } else {
      this.sink.show(
        `${status.engine.name} is back`,
        `Engine ${status.info.version} is reachable again.`,
      );
    }
  }
}
