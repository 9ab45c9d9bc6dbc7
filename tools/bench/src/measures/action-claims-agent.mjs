// The agent of the action-claims benchmark: prints a transcript line by line,
// one write(2) per line as an agent CLI prints its output, then records its
// own CPU time (user + system, ms) in the file named by its second argument.
import { readFileSync, writeFileSync, writeSync } from 'node:fs';

const [transcript, cpuFile] = process.argv.slice(2);
const lines = readFileSync(transcript, 'utf8').split('\n');
if (lines.at(-1) === '') lines.pop();
for (const line of lines) writeSync(1, `${line}\n`);
const cpu = process.cpuUsage();
writeFileSync(cpuFile, JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 }));
