// Builds a wasi:http component from SOURCE_DIR/handler.js with componentize-js (pinned in the
// repo's package-lock.json); the world is SOURCE_DIR/wit/world.wit's world NAME.
// Usage: node componentize.mjs SOURCE_DIR NAME OUT.wasm WORK_DIR
// - componentize-js 0.23 needs WIT for wasi:http@0.2.10; jco ships the 0.2.12 text, copied into
//   WORK_DIR/wit/deps relabelled as 0.2.10 (the interfaces StarlingMonkey uses are the same).
// - It sees no files unless the host root is preopened (_setPreopens below).
// - The build takes about a minute, so the result is cached by a hash of every input in
//   $WEFT_CACHE_DIR (default ~/.cache/weft); delete the cached file to force a rebuild.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

const [sourceDir, name, outArg, workArg] = process.argv.slice(2);
if (!sourceDir || !name || !outArg || !workArg) {
  console.error('usage: node componentize.mjs SOURCE_DIR NAME OUT.wasm WORK_DIR');
  process.exit(2);
}
const here = resolve(sourceDir);
const [out, work] = [resolve(outArg), resolve(workArg)];
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const builtin = join(root, 'node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12');
const packages = ['wasi-io', 'wasi-clocks', 'wasi-random', 'wasi-cli', 'wasi-filesystem', 'wasi-sockets', 'wasi-http'];
const cjsPackage = join(root, 'node_modules/@bytecodealliance/componentize-js/package.json');

const sources = [join(here, 'handler.js'), join(here, 'wit/world.wit'), fileURLToPath(import.meta.url), cjsPackage,
                 ...packages.map((p) => join(builtin, p, 'package.wit'))];
const hash = createHash('sha256');
for (const file of sources) hash.update(file.slice(root.length)).update(await readFile(file));
const key = hash.digest('hex').slice(0, 32);
const cacheDir = process.env.WEFT_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'weft');
const cached = join(cacheDir, `${name}-${key}.wasm`);

await mkdir(dirname(out), { recursive: true });
if (existsSync(cached)) {
  await copyFile(cached, out);
  console.log(`${name}: cached build ${cached}`);
  process.exit(0);
}

const wit = join(work, 'wit');
await rm(wit, { recursive: true, force: true });
await mkdir(join(wit, 'deps'), { recursive: true });
await copyFile(join(here, 'wit/world.wit'), join(wit, 'world.wit'));
for (const p of packages) {
  await mkdir(join(wit, 'deps', p));
  for (const f of await readdir(join(builtin, p))) {
    const text = await readFile(join(builtin, p, f), 'utf8');
    await writeFile(join(wit, 'deps', p, f), text.replaceAll('@0.2.12', '@0.2.10'));
  }
}

_setPreopens({ '/': '/' });
const { componentize } = await import('@bytecodealliance/componentize-js');
const started = Date.now();
const { component } = await componentize({
  sourcePath: join(here, 'handler.js'),
  witPath: wit,
  worldName: name,
});
// Written beside OUT and renamed, so an interrupted build never leaves a truncated OUT.
await writeFile(out + '.tmp', component);
await rename(out + '.tmp', out);
try {
  await mkdir(cacheDir, { recursive: true });
  await writeFile(cached + '.tmp', component);
  await rename(cached + '.tmp', cached);
} catch (e) {
  console.log(`${name}: not cached (${e.message})`);
}
console.log(`${name}: componentize-js took ${((Date.now() - started) / 1000).toFixed(1)} s`);
