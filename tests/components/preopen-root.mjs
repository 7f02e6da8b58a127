// Preloaded (`node --import`) by the build steps that run jco embed and componentize-js:
// preview2-shim 0.26 starts with no preopens, so the wasm tools inside them see no files.
// Preopening the host root makes them resolve absolute paths as the command line gives them.
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

_setPreopens({ '/': '/' });
