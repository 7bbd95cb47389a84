export { readIdx, decodeIdx, encodeIdx, writeIdx, takeFirst, type IdxArray } from './idx.js';
