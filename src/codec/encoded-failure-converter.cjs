// The failure converter of every worker, client and workflow sandbox of ours: failure messages and
// stack traces move into an encoded payload (`encodedAttributes`), which the payload codec then
// encrypts like any other payload; without this they sit in Temporal's history in plain text.
//
// Plain CommonJS on purpose: the SDK loads it with require() through `failureConverterPath` (in
// workers and clients, under Node 20 without a TypeScript loader) and bundles it into the
// workflow code through the same path. See data-converter.ts.
/* global require, exports */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose, see above
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
