/**
 * Migration 4 of {@link PostgresStore}: `coordination_batch`, one statement
 * that runs several operations' functions (`postgres-functions.ts`) in one
 * transaction, so operations a store is asked for at the same moment share
 * one round trip and one commit (one WAL flush) instead of one each. See
 * `postgres-batcher.ts` for when the store sends one.
 *
 * @module
 */
import { SERVER_OPERATIONS } from './postgres-operations.js';

/**
 * The argument of operation `a` at `index`, cast to its parameter's type. The
 * client sends each argument as it would bind it: JSON documents as their
 * text (so `->>` gives that text back), `null` as JSON null (so `->>` gives
 * SQL `NULL`).
 */
function argument(type: string, index: number): string {
  return `(a ->> ${index})::${type}`;
}

/**
 * The statements of migration version 4: `coordination_batch(ops jsonb)`.
 * `ops` is a JSON array of `{"op": "claim" | "refresh" | "release" |
 * "exitSignal", "a": [arguments…]}`; the function runs them in the array's
 * order, each with its own function (so each sees what the ones before it
 * wrote) and returns one row per operation: its position in the array
 * (`o_index`, from 0) and the four columns every operation's function returns.
 * All of them commit together, or none does: the statement is one
 * transaction, so an error in any operation undoes them all (the store then
 * asks for each on its own). The functions are unchanged, so a database at
 * version 3 keeps working for a store that cannot batch.
 *
 * @param s - the schema name, already quoted by `quoteSchema`.
 * @returns the `CREATE FUNCTION` statement.
 */
export function coordinationBatchFunction(s: string): string[] {
  const branches = Object.entries(SERVER_OPERATIONS)
    .map(([operation, { name, types }]) => {
      const args = types.map((type, index) => argument(type, index)).join(', ');
      return `WHEN '${operation}' THEN SELECT * INTO done FROM ${s}.${name}(${args});`;
    })
    .join('\n           ');
  return [
    `CREATE FUNCTION ${s}.coordination_batch(ops jsonb)
       RETURNS TABLE (o_index integer, o_outcome text, o_record jsonb, o_token bigint, o_now_ms bigint)
       LANGUAGE plpgsql VOLATILE AS $$
       DECLARE
         step record;
         a jsonb;
         done record;
       BEGIN
         FOR step IN SELECT value AS op, ordinality - 1 AS position
                       FROM jsonb_array_elements(ops) WITH ORDINALITY ORDER BY ordinality LOOP
           a := step.op -> 'a';
           CASE step.op ->> 'op'
           ${branches}
           ELSE RAISE EXCEPTION 'coordination_batch: unknown operation %', step.op ->> 'op';
           END CASE;
           o_index := step.position;
           o_outcome := done.o_outcome;
           o_record := done.o_record;
           o_token := done.o_token;
           o_now_ms := done.o_now_ms;
           RETURN NEXT;
         END LOOP;
       END $$`,
  ];
}
