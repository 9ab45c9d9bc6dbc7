/// <reference lib="dom" />

/** What the page's script is told by the server. */
export interface DashboardSettings {
  /** How often `/runs` and `/guards` are read, ms. */
  pollMs: number;
  /** How long an answer may take before the supervisor counts as not answering, ms. */
  answerWithinMs: number;
  /** Events shown in the live tail. */
  eventsShown: number;
}

/**
 * The dashboard's script, run in the browser: it is served as its own source
 * (`Function.prototype.toString`), so it must use nothing from outside its
 * body. It reads `/runs` and `/guards` every `pollMs`, follows `/events`
 * (EventSource, which resumes with `Last-Event-ID` by itself), ticks the
 * timers every second, and stops a loop with `POST /runs/:loop/stop`.
 *
 * When the supervisor does not answer within `answerWithinMs`, every
 * configured guard row turns `off-runtime-divergent`: a page must never keep
 * showing green for a supervisor that may be stopped (SIGSTOP) or stalled.
 *
 * @param settings - the polling and display settings.
 */
export function dashboardClient(settings: DashboardSettings): void {
  interface Loop {
    name: string;
    state: string;
    pid: number | null;
    attempt: number;
    resumesUsed: number;
    restarts: number;
    lastReason: string | null;
    lastOutputAt: string | null;
    missionDeadlineAt: string | null;
    nextStartAt: string | null;
  }
  interface Guard {
    loop: string | null;
    guard: string;
    configured: string;
    effective: string;
    state: string;
    reason: string;
    lastFiredAt: string | null;
  }
  const byId = (id: string) => document.getElementById(id) as HTMLElement;
  const control = document.body.dataset.control === 'yes';
  let loops: Loop[] = [];
  let guards: Guard[] = [];
  let skewMs = 0;
  let answering = false;
  let lastAnswerAtMs = 0;
  let everAnswered = false;

  const now = () => Date.now() + skewMs;
  const span = (valueMs: number) => {
    const seconds = Math.max(0, Math.round(valueMs / 1000));
    if (seconds < 60) return `${seconds}s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
    return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
  };
  const clock = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : '-');

  /** Updates one keyed row in place (never replaced: a click in flight stays on its button). */
  const upsert = (
    body: HTMLElement,
    key: string,
    attribute: string,
    cells: string[],
    className: string,
  ): HTMLTableRowElement => {
    let row = body.querySelector<HTMLTableRowElement>(`tr[${attribute}="${CSS.escape(key)}"]`);
    if (!row) {
      row = document.createElement('tr');
      row.setAttribute(attribute, key);
      for (let index = 0; index < cells.length; index++) row.append(document.createElement('td'));
      body.append(row);
    }
    row.className = className;
    cells.forEach((text, index) => {
      const cell = row.cells[index]!;
      if (cell.dataset.text !== text) {
        cell.dataset.text = text;
        cell.textContent = text;
      }
    });
    return row;
  };
  const prune = (body: HTMLElement, attribute: string, keys: Set<string>) => {
    for (const row of Array.from(body.querySelectorAll(`tr[${attribute}]`)))
      if (!keys.has(row.getAttribute(attribute) ?? '')) row.remove();
  };

  const renderLoops = () => {
    const body = byId('loops-body');
    // A table from the last answer is shown as such: it may no longer be true.
    byId('loops').classList.toggle('stale', everAnswered && !answering);
    for (const loop of loops) {
      const lastOutput = loop.lastOutputAt
        ? `${span(now() - Date.parse(loop.lastOutputAt))} ago`
        : '-';
      const missionLeft = loop.missionDeadlineAt
        ? span(Date.parse(loop.missionDeadlineAt) - now())
        : '-';
      const row = upsert(
        body,
        loop.name,
        'data-loop',
        [
          loop.name,
          loop.state,
          loop.pid === null ? '-' : String(loop.pid),
          String(loop.attempt),
          String(loop.resumesUsed),
          String(loop.restarts),
          lastOutput,
          missionLeft,
          loop.lastReason ?? '-',
          '',
        ],
        `state-${loop.state}`,
      );
      const last = row.cells[row.cells.length - 1]!;
      let button = last.querySelector('button');
      if (!button) {
        button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'stop';
        button.dataset.stop = loop.name;
        last.append(button);
      }
      const stoppable = !['stopped', 'done', 'stopping'].includes(loop.state);
      button.disabled = !control || !stoppable || !answering || button.dataset.busy === 'yes';
      button.title = control
        ? `POST /runs/${loop.name}/stop`
        : 'read-only: open the URL with ?token=';
    }
    prune(body, 'data-loop', new Set(loops.map((loop) => loop.name)));
  };

  const renderGuards = () => {
    const silentS = Math.round((Date.now() - lastAnswerAtMs) / 1000);
    const shown = answering
      ? guards
      : guards.map((guard) =>
          guard.state === 'off-by-config'
            ? guard
            : {
                ...guard,
                effective: 'not answering',
                state: 'off-runtime-divergent',
                reason: everAnswered
                  ? `the supervisor has not answered for ${silentS} s (stopped or stalled): nothing vouches for this guard`
                  : 'the supervisor does not answer',
              },
        );
    const body = byId('guards-body');
    for (const guard of shown) {
      upsert(
        body,
        `${guard.loop ?? '*'}/${guard.guard}`,
        'data-guard',
        [
          guard.loop ?? '(supervisor)',
          guard.guard,
          guard.configured,
          guard.effective,
          guard.state,
          guard.reason,
          clock(guard.lastFiredAt),
        ],
        guard.state,
      );
    }
    prune(body, 'data-guard', new Set(shown.map((guard) => `${guard.loop ?? '*'}/${guard.guard}`)));
    const divergent = shown.filter((guard) => guard.state === 'off-runtime-divergent').length;
    const summary = byId('posture-summary');
    summary.textContent =
      divergent > 0
        ? `${divergent} guard(s) configured on but not in force`
        : `every configured guard is in force (${shown.filter((guard) => guard.state === 'on').length} on)`;
    summary.className = divergent > 0 ? 'off-runtime-divergent' : 'on';
  };

  const renderConnection = () => {
    const connection = byId('connection');
    connection.textContent = answering
      ? 'live'
      : everAnswered
        ? `not answering for ${Math.round((Date.now() - lastAnswerAtMs) / 1000)} s`
        : 'connecting…';
    connection.className = `connection ${answering ? 'live' : 'down'}`;
  };

  const get = async (path: string) => {
    const response = await fetch(path, {
      credentials: 'same-origin',
      cache: 'no-store',
      signal: AbortSignal.timeout(settings.answerWithinMs),
    });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  };

  const poll = async () => {
    try {
      const [runs, posture] = await Promise.all([get('/runs'), get('/guards')]);
      loops = runs.loops;
      guards = posture.guards;
      if (runs.supervisor) {
        skewMs = Date.parse(runs.supervisor.now) - Date.now();
        byId('about').textContent =
          `pid ${runs.supervisor.pid} · ${runs.supervisor.stateDir} · since ${clock(runs.supervisor.startedAt)}`;
      }
      answering = true;
      everAnswered = true;
      lastAnswerAtMs = Date.now();
    } catch {
      answering = false;
    }
    renderLoops();
    renderGuards();
    renderConnection();
    setTimeout(poll, settings.pollMs);
  };

  const events = byId('events');
  const source = new EventSource(`/events?tail=${settings.eventsShown}`);
  source.onmessage = (message) => {
    const event = JSON.parse(message.data) as Record<string, unknown>;
    const item = document.createElement('li');
    item.dataset.id = message.lastEventId;
    item.dataset.type = String(event.type);
    const detail =
      event.type === 'loop-state'
        ? `${String(event.from)} → ${String(event.to)}`
        : [
            event.reason,
            event.source === 'run' && event.pid !== undefined
              ? `pid ${String(event.pid)}`
              : undefined,
            event.message,
          ]
            .filter((part) => part !== undefined && part !== null && part !== '')
            .map(String)
            .join(' · ');
    item.textContent = `${clock(String(event.ts))}  ${String(event.loop ?? 'supervisor')}  ${String(event.type)}${detail ? `  ${detail}` : ''}`;
    events.prepend(item);
    while (events.children.length > settings.eventsShown) events.lastElementChild?.remove();
  };
  source.addEventListener('gap', (message) => {
    const item = document.createElement('li');
    item.className = 'gap';
    item.textContent = `${JSON.parse((message as MessageEvent).data).missed} event(s) missed: see the journals`;
    events.prepend(item);
  });

  byId('loops-body').addEventListener('click', (click) => {
    const button = (click.target as HTMLElement).closest<HTMLButtonElement>('button[data-stop]');
    if (!button || button.disabled) return;
    const name = button.dataset.stop!;
    button.dataset.busy = 'yes';
    button.disabled = true;
    const note = byId('control-note');
    note.textContent = `stopping ${name}…`;
    fetch(`/runs/${encodeURIComponent(name)}/stop`, { method: 'POST', credentials: 'same-origin' })
      .then(async (response) => {
        const body = await response.json().catch(() => ({}));
        note.textContent = response.ok
          ? `stopped ${name} (${body.loop?.state ?? '?'})`
          : `could not stop ${name}: HTTP ${response.status} ${body.message ?? ''}`;
      })
      .catch((error: Error) => {
        note.textContent = `could not stop ${name}: ${error.message}`;
      })
      .finally(() => {
        delete button.dataset.busy;
      });
  });
  if (!control)
    byId('control-note').textContent =
      'read-only: open the URL that `runwarden-supervisor start` printed (it carries ?token=) to stop loops here';

  setInterval(() => {
    renderLoops();
    if (!answering) {
      renderGuards();
      renderConnection();
    }
  }, 1000);
  void poll();
}
