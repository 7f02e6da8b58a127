// Runs a wasm32-wasi command under node's WASI preview1 (the V8 reference for bench/run.sh):
//   node bench/node-wasi.mjs FILE.wasm [ARGS...]
// stdio is inherited and the guest's exit code becomes node's.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node node-wasi.mjs FILE.wasm [ARGS...]');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [file, ...args],
  env: {},
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
const code = wasi.start(instance);
process.exitCode = code ?? 0;
