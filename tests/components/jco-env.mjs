// Loaded by `jco run --jco-import` (run-component.sh): gives the component the same world as
// `weft run` and node-wasi.mjs get from their command lines. preview2-shim would otherwise
// pass node's whole environment, the path of jco's generated script as argv[0], node's cwd
// and the host root as the only preopen. WEFT_JCO_CONFIG is JSON:
//   { "argv0": "...", "env": { "NAME": "VALUE" }, "preopens": { "/guest": "/host/dir" } }
// and the component's other arguments are this process's own (after the script).
import process from 'node:process';
import { _setArgs, _setCwd, _setEnv } from '@bytecodealliance/preview2-shim/cli';
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

const config = JSON.parse(process.env.WEFT_JCO_CONFIG ?? '{}');
_setArgs([config.argv0 ?? 'component', ...process.argv.slice(2)]);
_setEnv(config.env ?? {});
_setCwd(undefined);
_setPreopens(config.preopens ?? {});
