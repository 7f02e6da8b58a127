// Reference runner: runs a wasm32-wasi command under node's WASI (preview1) with the same
// command line as `weft run` (subset: --dir HOST[::GUEST], --env NAME=VALUE, FILE ARGS...),
// so the test driver can compare stdout, stderr and the exit status byte for byte.
// A trap exits with 134 like `weft run` (its message differs and is not compared).
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let i = 0;
for (; i < argv.length; ++i) {
  const a = argv[i];
  if (a === '--dir') {
    const v = argv[++i];
    const sep = v.indexOf('::');
    const host = sep < 0 ? v : v.slice(0, sep);
    const guest = sep < 0 ? v : v.slice(sep + 2);
    preopens[guest] = host;
  } else if (a === '--env') {
    const v = argv[++i];
    const eq = v.indexOf('=');
    if (eq < 0) {
      if (process.env[v] !== undefined) env[v] = process.env[v];
    } else {
      env[v.slice(0, eq)] = v.slice(eq + 1);
    }
  } else {
    break;
  }
}
const file = argv[i];
if (!file) {
  console.error('usage: node node-wasi.mjs [--dir HOST[::GUEST]]... [--env NAME=VALUE]... FILE [ARGS...]');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [file, ...argv.slice(i + 1)],
  env,
  preopens,
  returnOnExit: true,
});
try {
  const module = await WebAssembly.compile(await readFile(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  const code = wasi.start(instance);
  process.exitCode = code;
} catch (e) {
  console.error(`Error: ${e.message}`);
  process.exitCode = 134;
}
