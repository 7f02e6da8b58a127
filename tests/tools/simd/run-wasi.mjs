// Runs a wasm32-wasi command module under node (used by run-wasm32.sh).
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';
const wasi = new WASI({ version: "preview1", args: [], env: {}, returnOnExit: true });
const m = await WebAssembly.compile(readFileSync(process.argv[2]));
const inst = await WebAssembly.instantiate(m, wasi.getImportObject());
process.exitCode = wasi.start(inst);
