// Preloaded by jco-check.sh (`jco serve --jco-import`): preopens the directory named by
// $WEFT_JCO_CHECK_DATA as /data for the test handler's /file route (jco serve has no --dir).
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

if (process.env.WEFT_JCO_CHECK_DATA) _setPreopens({ '/data': process.env.WEFT_JCO_CHECK_DATA });
