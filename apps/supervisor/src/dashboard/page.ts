import { SUPERVISOR_DEFAULTS } from '../defaults.js';
import { dashboardClient } from './client.js';

/** Events the page's live tail shows. */
export const DASHBOARD_EVENTS_SHOWN = 200;

/**
 * The dashboard's HTML: one page, no build step; its script and style are
 * `/dashboard.js` and `/dashboard.css` from the same process.
 *
 * @param control - whether the request carried the token (the stop buttons work).
 * @returns the page.
 */
export function dashboardHtml(control: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runwarden-supervisor</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body data-control="${control ? 'yes' : 'no'}">
<header>
<h1>runwarden-supervisor</h1>
<span id="about"></span>
<span id="connection" class="connection">connecting…</span>
</header>
<main>
<section>
<h2>Loops</h2>
<table id="loops">
<thead><tr><th>loop</th><th>state</th><th>pid</th><th>attempt</th><th>resumes</th><th>restarts</th><th>last output</th><th>mission left</th><th>last reason</th><th></th></tr></thead>
<tbody id="loops-body"></tbody>
</table>
<p id="control-note"></p>
</section>
<section>
<h2>Guard posture</h2>
<p id="posture-summary"></p>
<table id="guards">
<thead><tr><th>loop</th><th>guard</th><th>configured</th><th>effective</th><th>state</th><th>reason</th><th>last fired</th></tr></thead>
<tbody id="guards-body"></tbody>
</table>
</section>
<section>
<h2>Events</h2>
<ol id="events" reversed></ol>
</section>
</main>
<script src="/dashboard.js" defer></script>
</body>
</html>
`;
}

/** The page's script: {@link dashboardClient}'s own source, called with the settings. */
export const DASHBOARD_JS = `"use strict";\n(${dashboardClient.toString()})(${JSON.stringify({
  pollMs: SUPERVISOR_DEFAULTS.dashboardPollMs,
  answerWithinMs: SUPERVISOR_DEFAULTS.answerWithinMs,
  eventsShown: DASHBOARD_EVENTS_SHOWN,
})});\n`;

/** The page's style: divergent rows stand out, off-by-config rows are dimmed. */
export const DASHBOARD_CSS = `:root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; }
body { margin: 0 1.5rem 2rem; }
header { display: flex; gap: 1rem; align-items: baseline; border-bottom: 1px solid #8884; }
h1 { font-size: 1.2rem; margin: 0.8rem 0; }
h2 { font-size: 1rem; margin: 1.2rem 0 0.4rem; }
#about { color: #888; }
.connection { margin-left: auto; padding: 0.1rem 0.5rem; border-radius: 0.3rem; }
.connection.live { background: #1a7f3722; color: #1a7f37; }
.connection.down { background: #cf222e; color: #fff; font-weight: bold; }
table { border-collapse: collapse; width: 100%; }
table.stale { opacity: 0.45; }
th, td { text-align: left; padding: 0.2rem 0.6rem; border-bottom: 1px solid #8882; vertical-align: top; }
th { font-weight: 600; color: #888; }
td:nth-child(2) { font-weight: 600; }
tr.state-running td:nth-child(2) { color: #1a7f37; }
tr.state-fatal td:nth-child(2), tr.state-backoff td:nth-child(2) { color: #cf222e; }
#guards tr.on td:nth-child(5) { color: #1a7f37; }
#guards tr.off-by-config { color: #888; }
#guards tr.off-runtime-divergent { background: #cf222e22; }
#guards tr.off-runtime-divergent td:nth-child(5), #posture-summary.off-runtime-divergent { color: #cf222e; font-weight: bold; }
#posture-summary.on { color: #1a7f37; }
#events { font: 12px/1.4 ui-monospace, monospace; max-height: 24rem; overflow: auto; padding-left: 3rem; }
#events li.gap { color: #cf222e; }
button { font: inherit; }
`;
