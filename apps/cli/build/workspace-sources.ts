import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Plugin } from 'esbuild';
import ts from 'typescript';

/**
 * An esbuild plugin for the CLI's bundle: it bundles the workspace packages
 * (`@runwarden/*`) from their TypeScript sources and imports each name from
 * the file that declares it, not through the package's `index.ts`.
 *
 * Why: in the bundle, a file reached from the entry point's static imports is
 * evaluated at every start; one reached only through a command's `import()`
 * is evaluated when that command runs. Through a barrel file every file of a
 * package that any command uses is reached by every command that imports
 * anything from it, so `runwarden --help` would evaluate the watchdog and zod
 * to print `WATCHDOG_DEFAULTS`. Importing from the declaring file (what
 * Next.js's `optimizePackageImports` and babel's `transform-imports` do) lets
 * each command evaluate what it uses: measured on the code-cached CommonJS
 * bundle, `--help` 62.2 against 71.7 ms without the plugin, `status` 65.5
 * against 71.0 (Node 20, 30 alternating runs). The packages are `"sideEffects":
 * false` and their `index.ts` files only re-export, so skipping them changes
 * nothing but what loads.
 *
 * It also imports zod as `import * as z from 'zod'` (zod's documented form)
 * where a source says `import { z } from 'zod'`: esbuild tree-shakes a
 * namespace import but keeps every export, all 40 locales among them, of a
 * namespace re-exported by name (about 450 KB against 100 KB minified). The
 * packages' schemas already say `import * as z from 'zod/mini'` (about 38 KB
 * with the one English locale they import), which is left as it is; the rule
 * stays for a source that imports classic zod.
 *
 * @param options.packageJson - the bundling package's `package.json`, whose dependencies are resolved.
 * @returns the plugin.
 */
export function workspaceSources(options: { packageJson: string }): Plugin {
  const requireFrom = createRequire(options.packageJson);
  const entries = new Map<string, string | null>();
  const exportMaps = new Map<string, Map<string, { file: string; name: string }>>();

  /** The source entry of a workspace package (`src/index.ts`), or null for a published one. */
  const sourceEntryOf = (specifier: string): string | null => {
    let entry = entries.get(specifier);
    if (entry === undefined) {
      entry = null;
      try {
        const source = join(
          dirname(requireFrom.resolve(`${specifier}/package.json`)),
          'src',
          'index.ts',
        );
        if (existsSync(source) && !source.includes('node_modules/.pnpm')) entry = source;
      } catch {
        // not resolvable from here: esbuild reports it
      }
      entries.set(specifier, entry);
    }
    return entry;
  };

  /** Which file declares each name a barrel re-exports (`export { a as b } from './x.js'`). */
  const exportMapOf = (index: string) => {
    let map = exportMaps.get(index);
    if (!map) {
      map = new Map();
      const source = ts.createSourceFile(
        index,
        readFileSync(index, 'utf8'),
        ts.ScriptTarget.Latest,
        false,
        ts.ScriptKind.TS,
      );
      for (const statement of source.statements) {
        if (
          !ts.isExportDeclaration(statement) ||
          statement.isTypeOnly ||
          !statement.moduleSpecifier ||
          !ts.isStringLiteral(statement.moduleSpecifier) ||
          !statement.exportClause ||
          !ts.isNamedExports(statement.exportClause)
        )
          continue;
        const file = resolve(
          dirname(index),
          statement.moduleSpecifier.text.replace(/\.js$/, '.ts'),
        );
        if (!existsSync(file)) continue;
        for (const element of statement.exportClause.elements) {
          if (!element.isTypeOnly)
            map.set(element.name.text, { file, name: (element.propertyName ?? element.name).text });
        }
      }
      exportMaps.set(index, map);
    }
    return map;
  };

  return {
    name: 'runwarden-workspace-sources',
    setup(build) {
      build.onResolve({ filter: /^@runwarden\/[^/]+$/ }, (args) => {
        const entry = sourceEntryOf(args.path);
        return entry ? { path: entry } : undefined;
      });
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes('node_modules')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        return {
          contents: rewriteImports(args.path, text, (specifier) => {
            const entry = sourceEntryOf(specifier);
            return entry ? exportMapOf(entry) : undefined;
          }),
          loader: 'ts',
        };
      });
    },
  };
}

/**
 * Rewrites the import declarations of one TypeScript source: named value
 * imports from a workspace package go to the files that declare them, and
 * `import { z } from 'zod'` becomes `import * as z from 'zod'`. An import it
 * cannot place (a name the barrel does not list, a default or namespace
 * import) is left as it is.
 *
 * @param path - the file, for the parser.
 * @param text - its source.
 * @param exportsOf - the declaring file of each name of a workspace package, or undefined for others.
 * @returns the rewritten source.
 */
export function rewriteImports(
  path: string,
  text: string,
  exportsOf: (specifier: string) => Map<string, { file: string; name: string }> | undefined,
): string {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier))
      continue;
    const clause = statement.importClause;
    const named = clause?.namedBindings;
    if (!clause || clause.isTypeOnly || clause.name || !named || !ts.isNamedImports(named))
      continue;
    const values = named.elements.filter((element) => !element.isTypeOnly);
    const specifier = statement.moduleSpecifier.text;
    const replace = (replacement: string) =>
      edits.push({ start: statement.getStart(source), end: statement.end, text: replacement });
    if (specifier === 'zod') {
      const only = values.length === 1 ? values[0] : undefined;
      if (only && only.name.text === 'z' && !only.propertyName)
        replace("import * as z from 'zod';");
      continue;
    }
    const exported = exportsOf(specifier);
    if (!exported || values.length === 0) continue;
    const byFile = new Map<string, string[]>();
    const placed = values.every((element) => {
      const declared = exported.get((element.propertyName ?? element.name).text);
      if (!declared) return false;
      const local = element.name.text;
      const names = byFile.get(declared.file) ?? [];
      names.push(declared.name === local ? local : `${declared.name} as ${local}`);
      byFile.set(declared.file, names);
      return true;
    });
    if (!placed) continue;
    replace(
      [...byFile]
        .map(([file, names]) => `import { ${names.join(', ')} } from ${JSON.stringify(file)};`)
        .join(' '),
    );
  }
  let rewritten = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    // As many lines as the import had, so the source map still points at the right lines.
    const lines = '\n'.repeat(text.slice(edit.start, edit.end).split('\n').length - 1);
    rewritten = rewritten.slice(0, edit.start) + edit.text + lines + rewritten.slice(edit.end);
  }
  return rewritten;
}
