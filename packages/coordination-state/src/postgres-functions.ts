/**
 * The server-side half of {@link PostgresStore}: PL/pgSQL functions that
 * decide and write one operation inside the database, so each operation is one
 * round trip and a target's row is locked only while the function runs on the
 * server, never across a network round trip. They mirror the pure functions of
 * `operations.ts` (`applyClaim`, `applyRefresh`, `applyRelease`,
 * `applyExitSignal`) and the archive rules of version 1; the store replays the
 * same pure function on the row the server returns and refuses to answer when
 * the two disagree, so the TypeScript stays the reference.
 *
 * @module
 */

/**
 * History rows above the limit that are left in place before they are moved
 * to the archive in one go (one `DELETE … RETURNING` into an `INSERT` per
 * batch instead of one per operation).
 */
export const ARCHIVE_BATCH = 20;

/**
 * The opening of refresh, release and exit signal: lock the target's row,
 * note the time, answer `noRow` without one and `unusable` for a row the
 * store cannot read.
 */
function lockedRow(s: string, noRow: string): string {
  return `SELECT * INTO old_row FROM ${s}.coordination_targets WHERE target = target_key FOR UPDATE;
         o_now_ms := coalesce(now_given, ${s}.coordination_now_ms());
         IF NOT FOUND THEN o_outcome := '${noRow}'; RETURN; END IF;
         o_record := old_row.record;
         o_token := old_row.fencing_token;
         IF NOT ${s}.coordination_usable(old_row.record) THEN o_outcome := 'unusable'; RETURN; END IF;`;
}

/**
 * The write every changing operation ends with, as a nested block of its
 * function (no call of its own): the row, the new history entry (`entry`, or
 * `NULL`), and the moves to the archive (history in batches of
 * {@link ARCHIVE_BATCH}, exit signals beyond the limit), as version 1's client
 * wrote them. Reads `old_row`, `target_key` and `history_limit` of the function.
 */
function writeBack(s: string, record: string, entry: string): string {
  return `DECLARE
           w_record jsonb := ${record};
           w_entry jsonb := ${entry};
           signals jsonb;
           extra integer;
           new_seq bigint := old_row.history_seq + CASE WHEN w_entry IS NULL THEN 0 ELSE 1 END;
           move_up_to bigint := old_row.archived_seq;
         BEGIN
           signals := coalesce(w_record -> 'exitSignals', '[]'::jsonb);
           extra := jsonb_array_length(signals) - history_limit;
           IF extra > 0 THEN
             w_record := w_record || jsonb_build_object('exitSignals', (
               SELECT jsonb_agg(signal.value ORDER BY signal.position)
                 FROM jsonb_array_elements(signals) WITH ORDINALITY AS signal(value, position)
                WHERE signal.position > extra));
           ELSIF NOT w_record ? 'exitSignals' THEN
             w_record := w_record || jsonb_build_object('exitSignals', signals);
           END IF;
           IF new_seq - history_limit - old_row.archived_seq >= ${ARCHIVE_BATCH} THEN
             move_up_to := least(new_seq - history_limit, old_row.history_seq);
           END IF;
           UPDATE ${s}.coordination_targets
              SET record = w_record,
                  active_run_id = w_record -> 'activeRun' ->> 'runId',
                  fencing_token = greatest(old_row.fencing_token,
                    coalesce((w_record -> 'activeRun' ->> 'fencingToken')::bigint, 0),
                    coalesce((w_entry ->> 'fencingToken')::bigint, 0)),
                  history_seq = new_seq, archived_seq = move_up_to,
                  updated_at = clock_timestamp()
            WHERE target = target_key;
           IF w_entry IS NOT NULL THEN
             INSERT INTO ${s}.coordination_history (target, seq, entry)
             VALUES (target_key, new_seq, w_entry);
           END IF;
           IF move_up_to > old_row.archived_seq THEN
             WITH moved AS (
               DELETE FROM ${s}.coordination_history
                WHERE target = target_key AND seq > old_row.archived_seq AND seq <= move_up_to
               RETURNING seq, entry)
             INSERT INTO ${s}.coordination_archive (target, kind, seq, entry)
             SELECT target_key, 'history', moved.seq, moved.entry FROM moved ORDER BY moved.seq;
           END IF;
           IF extra > 0 THEN
             INSERT INTO ${s}.coordination_archive (target, kind, entry)
             SELECT target_key, 'exitSignal', signal.value
               FROM jsonb_array_elements(signals) WITH ORDINALITY AS signal(value, position)
              WHERE signal.position <= extra ORDER BY signal.position;
           END IF;
         END;`;
}

/**
 * The statements of migration version 3: the functions of one-round-trip
 * operations in `schema`. Each returns `o_outcome` (the status or conflict
 * code the store's pure function gives, `unusable` for a row the store cannot
 * read, left as it is, or `verdict_needed` when a takeover must first know
 * whether the recorded owner still runs), `o_record` (the row's record before
 * the operation, `NULL` when there was none), `o_token` (its fencing token
 * column) and `o_now_ms` (the time the decision used, Unix ms).
 *
 * @param s - the schema name, already quoted by `quoteSchema`.
 * @returns `CREATE FUNCTION` statements, helpers first.
 */
export function coordinationFunctions(s: string): string[] {
  const out = `OUT o_outcome text, OUT o_record jsonb, OUT o_token bigint, OUT o_now_ms bigint`;
  return [
    // Of this JSON type (false when absent). The small SQL helpers inline
    // into the PL/pgSQL expressions that call them (planned once per session).
    `CREATE FUNCTION ${s}.coordination_is(candidate jsonb, kind text) RETURNS boolean
       LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(jsonb_typeof(candidate) = kind, false) $$`,
    // A JSON number that is a safe integer of at least `minimum` (zod's `.int()`).
    `CREATE FUNCTION ${s}.coordination_int(candidate jsonb, minimum numeric) RETURNS boolean
       LANGUAGE sql IMMUTABLE AS $$
       SELECT CASE WHEN coalesce(jsonb_typeof(candidate) = 'number', false)
         THEN candidate::numeric = trunc(candidate::numeric)
              AND candidate::numeric BETWEEN minimum AND 9007199254740991
         ELSE false END $$`,
    // Absent, or of the given JSON type.
    `CREATE FUNCTION ${s}.coordination_optional(container jsonb, field text, kind text) RETURNS boolean
       LANGUAGE sql IMMUTABLE AS $$
       SELECT coalesce(NOT container ? field OR jsonb_typeof(container -> field) = kind, false) $$`,
    // Present, and a string or null.
    `CREATE FUNCTION ${s}.coordination_text_or_null(container jsonb, field text) RETURNS boolean
       LANGUAGE sql IMMUTABLE AS $$
       SELECT coalesce(jsonb_typeof(container -> field) IN ('string', 'null'), false) $$`,
    // processIdentitySchema of @runwarden/process-identity.
    `CREATE FUNCTION ${s}.coordination_identity_usable(identity jsonb) RETURNS boolean
       LANGUAGE sql IMMUTABLE AS $$
       SELECT coalesce(${s}.coordination_is(identity, 'object')
          AND ${s}.coordination_int(identity -> 'pid', 1)
          AND ${s}.coordination_int(identity -> 'startTicks', 0)
          AND CASE WHEN ${s}.coordination_is(identity -> 'startTimeMs', 'number')
                THEN (identity -> 'startTimeMs')::numeric >= 0 ELSE false END
          AND ${s}.coordination_is(identity -> 'bootId', 'string')
          AND ${s}.coordination_is(identity -> 'machineId', 'string')
          AND ${s}.coordination_is(identity -> 'hostname', 'string')
          AND ${s}.coordination_optional(identity, 'comm', 'string')
          AND ${s}.coordination_optional(identity, 'exe', 'string')
          AND (NOT identity ? 'token'
               OR (${s}.coordination_is(identity -> 'token', 'string') AND identity ->> 'token' <> ''))
          AND (NOT identity ? 'tokenSource' OR identity -> 'tokenSource' IN ('"env"', '"cmdline"')), false) $$`,
    // coordinationRecordSchema (without history, which lives in its own table).
    `CREATE FUNCTION ${s}.coordination_usable(doc jsonb) RETURNS boolean
       LANGUAGE plpgsql IMMUTABLE AS $$
       DECLARE
         active jsonb := doc -> 'activeRun';
         previous jsonb := doc -> 'previousRun';
         signal jsonb;
         position integer;
       BEGIN
         IF NOT coalesce(${s}.coordination_is(doc, 'object')
             AND doc -> 'schemaVersion' IN ('1', '2')
             AND ${s}.coordination_is(doc -> 'target', 'object')
             AND ((${s}.coordination_is(doc -> 'target' -> 'repo', 'string')
                   AND ${s}.coordination_int(doc -> 'target' -> 'pr', 1))
                  OR ${s}.coordination_is(doc -> 'target' -> 'key', 'string')), false) THEN
           RETURN false;
         END IF;
         IF NOT ${s}.coordination_is(active, 'null') AND NOT coalesce(${s}.coordination_is(active, 'object')
             AND ${s}.coordination_is(active -> 'runId', 'string') AND active ->> 'runId' <> ''
             AND ${s}.coordination_text_or_null(active, 'claimedAt')
             AND ${s}.coordination_text_or_null(active, 'updatedAt')
             AND (NOT active ? 'owner' OR ${s}.coordination_identity_usable(active -> 'owner'))
             AND (NOT active ? 'leaseMs' OR ${s}.coordination_int(active -> 'leaseMs', 1))
             AND (NOT active ? 'fencingToken' OR ${s}.coordination_int(active -> 'fencingToken', 1)), false) THEN
           RETURN false;
         END IF;
         IF doc ? 'previousRun' AND NOT ${s}.coordination_is(previous, 'null') AND NOT coalesce(
             ${s}.coordination_is(previous, 'object')
             AND ${s}.coordination_text_or_null(previous, 'runId') AND previous -> 'runId' <> '""'
             AND ${s}.coordination_text_or_null(previous, 'replacedAt')
             AND ${s}.coordination_text_or_null(previous, 'replacedByRunId'), false) THEN
           RETURN false;
         END IF;
         IF doc ? 'exitSignals' THEN
           IF NOT ${s}.coordination_is(doc -> 'exitSignals', 'array') THEN RETURN false; END IF;
           FOR position IN 0 .. jsonb_array_length(doc -> 'exitSignals') - 1 LOOP
             signal := doc -> 'exitSignals' -> position;
             IF NOT coalesce(${s}.coordination_is(signal, 'object')
                 AND ${s}.coordination_is(signal -> 'runId', 'string')
                 AND ${s}.coordination_text_or_null(signal, 'at')
                 AND ${s}.coordination_text_or_null(signal, 'reason'), false) THEN
               RETURN false;
             END IF;
           END LOOP;
         END IF;
         RETURN true;
       END $$`,
    // The server's clock, Unix ms, whole (as a JavaScript Date keeps it).
    `CREATE FUNCTION ${s}.coordination_now_ms() RETURNS bigint
       LANGUAGE sql VOLATILE AS $$
       SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint $$`,
    // Date.prototype.toISOString of a Unix ms time.
    `CREATE FUNCTION ${s}.coordination_iso(ms bigint) RETURNS text
       LANGUAGE sql STABLE AS $$
       SELECT to_char(timestamp 'epoch' + ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$`,
    // Date.parse of an ISO 8601 time, NULL for anything else (Date.parse's NaN).
    `CREATE FUNCTION ${s}.coordination_parse_ms(iso text) RETURNS bigint
       LANGUAGE plpgsql IMMUTABLE AS $$
       BEGIN
         IF iso !~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?(Z|[+-]\\d\\d:\\d\\d)$' THEN
           RETURN NULL;
         END IF;
         RETURN floor(extract(epoch FROM iso::timestamptz) * 1000)::bigint;
       EXCEPTION WHEN others THEN
         RETURN NULL;
       END $$`,
    // leaseExpired of operations.ts.
    `CREATE FUNCTION ${s}.coordination_lease_expired(active jsonb, now_ms bigint) RETURNS boolean
       LANGUAGE sql IMMUTABLE AS $$
       SELECT coalesce(active ? 'leaseMs' AND jsonb_typeof(active -> 'updatedAt') = 'string'
          AND now_ms > ${s}.coordination_parse_ms(active ->> 'updatedAt') + (active ->> 'leaseMs')::bigint, false) $$`,
    // The claim's decision (applyClaim), for a record that passed coordination_usable.
    `CREATE FUNCTION ${s}.coordination_claim_outcome(doc jsonb, run_id text, takeover boolean,
         now_ms bigint, judged_run_id text, judged_owner jsonb, judged_dead boolean) RETURNS text
       LANGUAGE plpgsql IMMUTABLE AS $$
       DECLARE
         active jsonb := doc -> 'activeRun';
       BEGIN
         IF doc IS NULL OR jsonb_typeof(active) = 'null' THEN RETURN 'claimed_new'; END IF;
         IF active ->> 'runId' = run_id THEN RETURN 'refreshed'; END IF;
         IF ${s}.coordination_lease_expired(active, now_ms) THEN RETURN 'claimed_expired'; END IF;
         IF active ? 'owner' THEN
           -- Whether a recorded owner still runs is known only to the client
           -- (its /proc): it asks again with the verdict on this very owner.
           IF judged_run_id IS DISTINCT FROM active ->> 'runId'
              OR judged_owner IS DISTINCT FROM active -> 'owner' THEN
             RETURN CASE WHEN takeover THEN 'verdict_needed' ELSE 'active_run_exists' END;
           END IF;
           IF judged_dead THEN RETURN 'claimed_dead_owner'; END IF;
         END IF;
         RETURN CASE WHEN takeover THEN 'taken_over' ELSE 'active_run_exists' END;
       END $$`,
    // claim (applyClaim). A conflict is answered from a plain read, without
    // the row lock (it writes nothing); anything else locks the row (creating
    // it first: two first claims queue on its key) and decides again.
    `CREATE FUNCTION ${s}.coordination_claim(target_key text, empty_record jsonb, run_id text,
         takeover boolean, owner_identity jsonb, lease_ms bigint, lease_given boolean, now_given bigint,
         history_limit integer, judged_run_id text, judged_owner jsonb, judged_dead boolean, ${out})
       LANGUAGE plpgsql VOLATILE AS $$
       DECLARE
         old_row ${s}.coordination_targets%ROWTYPE;
         checked jsonb;
         active jsonb;
         at_time jsonb;
         token bigint;
         new_run jsonb;
         new_entry jsonb;
         new_record jsonb;
       BEGIN
         SELECT * INTO old_row FROM ${s}.coordination_targets WHERE target = target_key;
         IF FOUND THEN
           o_now_ms := coalesce(now_given, ${s}.coordination_now_ms());
           o_record := old_row.record;
           o_token := old_row.fencing_token;
           IF NOT ${s}.coordination_usable(old_row.record) THEN o_outcome := 'unusable'; RETURN; END IF;
           checked := old_row.record;
           o_outcome := ${s}.coordination_claim_outcome(old_row.record, run_id, takeover, o_now_ms,
             judged_run_id, judged_owner, judged_dead);
           IF o_outcome IN ('active_run_exists', 'verdict_needed') THEN RETURN; END IF;
         END IF;
         SELECT * INTO old_row FROM ${s}.coordination_targets WHERE target = target_key FOR UPDATE;
         IF NOT FOUND THEN
           INSERT INTO ${s}.coordination_targets (target, record) VALUES (target_key, empty_record)
             ON CONFLICT (target) DO NOTHING;
           SELECT * INTO old_row FROM ${s}.coordination_targets WHERE target = target_key FOR UPDATE;
         END IF;
         o_now_ms := coalesce(now_given, ${s}.coordination_now_ms());
         o_record := old_row.record;
         o_token := old_row.fencing_token;
         IF old_row.record IS DISTINCT FROM checked AND NOT ${s}.coordination_usable(old_row.record) THEN
           o_outcome := 'unusable'; RETURN;
         END IF;
         o_outcome := ${s}.coordination_claim_outcome(old_row.record, run_id, takeover, o_now_ms,
           judged_run_id, judged_owner, judged_dead);
         IF o_outcome IN ('active_run_exists', 'verdict_needed') THEN RETURN; END IF;
         active := old_row.record -> 'activeRun';
         at_time := to_jsonb(${s}.coordination_iso(o_now_ms));
         IF o_outcome = 'refreshed' THEN
           new_run := active || jsonb_build_object(
             'claimedAt', CASE WHEN jsonb_typeof(active -> 'claimedAt') = 'null' THEN at_time ELSE active -> 'claimedAt' END,
             'updatedAt', at_time,
             'leaseMs', CASE WHEN NOT lease_given AND active ? 'leaseMs' THEN active -> 'leaseMs' ELSE to_jsonb(lease_ms) END);
           IF owner_identity IS NOT NULL AND NOT active ? 'owner' THEN
             new_run := new_run || jsonb_build_object('owner', owner_identity);
           END IF;
           new_entry := jsonb_build_object('type', 'refresh', 'runId', run_id, 'at', at_time);
           IF active ? 'fencingToken' THEN
             new_entry := new_entry || jsonb_build_object('fencingToken', active -> 'fencingToken');
           END IF;
           new_record := old_row.record || jsonb_build_object('activeRun', new_run);
         ELSE
           token := greatest(old_row.fencing_token, coalesce((active ->> 'fencingToken')::bigint, 0)) + 1;
           new_run := jsonb_build_object('runId', run_id, 'claimedAt', at_time, 'updatedAt', at_time,
             'leaseMs', lease_ms, 'fencingToken', token);
           IF owner_identity IS NOT NULL THEN new_run := new_run || jsonb_build_object('owner', owner_identity); END IF;
           IF o_outcome = 'claimed_new' THEN
             new_entry := jsonb_build_object('type', 'claim', 'runId', run_id, 'at', at_time, 'fencingToken', token);
             new_record := old_row.record || jsonb_build_object('activeRun', new_run);
           ELSE
             new_entry := jsonb_build_object(
               'type', CASE WHEN o_outcome = 'taken_over' THEN 'takeover' ELSE 'claim' END,
               'runId', run_id, 'previousRunId', active -> 'runId', 'at', at_time,
               'reason', o_outcome, 'fencingToken', token);
             new_record := old_row.record || jsonb_build_object('activeRun', new_run, 'previousRun',
               jsonb_build_object('runId', active -> 'runId', 'replacedAt', at_time, 'replacedByRunId', run_id));
           END IF;
         END IF;
         ${writeBack(s, 'new_record', 'new_entry')}
       END $$`,
    // refresh (applyRefresh): the heartbeat, no history entry.
    `CREATE FUNCTION ${s}.coordination_refresh(target_key text, run_id text, now_given bigint,
         history_limit integer, ${out})
       LANGUAGE plpgsql VOLATILE AS $$
       DECLARE
         old_row ${s}.coordination_targets%ROWTYPE;
       BEGIN
         ${lockedRow(s, 'ownership_missing')}
         IF jsonb_typeof(old_row.record -> 'activeRun') = 'null' THEN
           o_outcome := 'ownership_missing'; RETURN;
         END IF;
         IF old_row.record -> 'activeRun' ->> 'runId' <> run_id THEN
           o_outcome := 'ownership_lost'; RETURN;
         END IF;
         o_outcome := 'refreshed';
         ${writeBack(
           s,
           `old_row.record || jsonb_build_object('activeRun', old_row.record -> 'activeRun'
             || jsonb_build_object('updatedAt', ${s}.coordination_iso(o_now_ms)))`,
           'NULL',
         )}
       END $$`,
    // release (applyRelease).
    `CREATE FUNCTION ${s}.coordination_release(target_key text, run_id text, now_given bigint,
         history_limit integer, ${out})
       LANGUAGE plpgsql VOLATILE AS $$
       DECLARE
         old_row ${s}.coordination_targets%ROWTYPE;
         active jsonb;
         at_time jsonb;
         new_entry jsonb;
       BEGIN
         ${lockedRow(s, 'release_noop')}
         active := old_row.record -> 'activeRun';
         IF active ->> 'runId' IS DISTINCT FROM run_id THEN o_outcome := 'ownership_lost'; RETURN; END IF;
         o_outcome := 'released';
         at_time := to_jsonb(${s}.coordination_iso(o_now_ms));
         new_entry := jsonb_build_object('type', 'release', 'runId', run_id, 'at', at_time);
         IF active ? 'fencingToken' THEN
           new_entry := new_entry || jsonb_build_object('fencingToken', active -> 'fencingToken');
         END IF;
         ${writeBack(
           s,
           `old_row.record || jsonb_build_object('activeRun', NULL, 'previousRun',
             jsonb_build_object('runId', run_id, 'replacedAt', at_time, 'replacedByRunId', NULL))`,
           'new_entry',
         )}
       END $$`,
    // recordExitSignal (applyExitSignal); the reason comes trimmed and cut by the client.
    `CREATE FUNCTION ${s}.coordination_exit_signal(target_key text, run_id text, reason text,
         require_active_owner boolean, now_given bigint, history_limit integer, ${out})
       LANGUAGE plpgsql VOLATILE AS $$
       DECLARE
         old_row ${s}.coordination_targets%ROWTYPE;
       BEGIN
         ${lockedRow(s, 'ownership_missing')}
         IF require_active_owner AND old_row.record -> 'activeRun' ->> 'runId' IS DISTINCT FROM run_id THEN
           o_outcome := 'ownership_lost'; RETURN;
         END IF;
         o_outcome := 'exit_signal_recorded';
         ${writeBack(
           s,
           `old_row.record || jsonb_build_object('exitSignals',
             coalesce(old_row.record -> 'exitSignals', '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
               'runId', run_id, 'at', ${s}.coordination_iso(o_now_ms), 'reason', reason)))`,
           'NULL',
         )}
       END $$`,
  ];
}
