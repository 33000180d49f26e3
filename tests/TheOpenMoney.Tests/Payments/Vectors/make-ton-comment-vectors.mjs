// Test vectors for the hand-written TON cell / bag-of-cells code in
// src/TheOpenMoney.Api/Payments/PaymentInstructions, computed by an independent implementation:
// @ton/core 0.63.1 (with its peer @ton/crypto 3.3.0), on node 20.
//
// The tests read the committed JSON; this script is not needed to run them. To regenerate:
//
//   mkdir -p /tmp/tonvec && cd /tmp/tonvec && npm init -y && npm install @ton/core@0.63.1 @ton/crypto@3.3.0
//   cp <repo>/tests/TheOpenMoney.Tests/Payments/Vectors/make-ton-comment-vectors.mjs /tmp/tonvec/
//   node make-ton-comment-vectors.mjs         > <repo>/tests/TheOpenMoney.Tests/Payments/Vectors/ton-comment-boc.json
//   node make-ton-comment-vectors.mjs --cells > <repo>/tests/TheOpenMoney.Tests/Payments/Vectors/ton-cell-boc.json
//
// (The script is run from /tmp/tonvec so that node resolves @ton/core from /tmp/tonvec/node_modules.)
//
// Default: text comments, [{"memo", "boc_base64"}], each
//   beginCell().storeUint(0, 32).storeStringTail(memo).endCell().toBoc().toString('base64')
// with toBoc()'s defaults (idx: false, crc32: true). The root cell holds 123 bytes of text after
// the 32-bit op; each further cell of the snake chain holds 127.
//
// --cells: general cell trees, [{"name", "hash_hex"?, "boc_base64"}] (the root's representation hash on the default entry): shared children (deduplicated by hash),
// four references, bit lengths that are not whole bytes, and the idx/crc32 options. The C# test
// builds the same trees by name.
import { beginCell } from '@ton/core';

const ascii = (n) => {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[i % alphabet.length];
  return s;
};

const memos = [
  'STARS-a1b2c3',
  'PREMIUM-zz9x0q',
  '',
  'a',
  'order 42: 5 TON & more? 100% /yes/ +plus #hash',
  ascii(122),
  ascii(123), // exactly fills the root cell (1023 - 32 = 991 bits -> 123 whole bytes)
  ascii(124), // first byte that spills into a child cell
  ascii(127),
  ascii(128),
  ascii(200),
  ascii(250), // 123 + 127: exactly fills root and one child
  ascii(251),
  ascii(1000),
  ascii(70000), // > 255 cells (2-byte cell indices) and > 65535 bytes of cells (3-byte offsets)
  ascii(121) + '\u{1F600}', // a 4-byte emoji cut 2 + 2 across the cell boundary
  ascii(122) + 'é', // a 2-byte character cut 1 + 1
  ascii(120) + '日本語', // 3-byte characters, the second cut 2 + 1
  'Привет, мир! 👋🏽 Stars ⭐',
  'RTL\u202Eevil\u202C and NUL\u0000inside\u0000',
  '\u0000',
  '\u202E' + ascii(130) + '\u0000',
];

const toBase64 = (cell, opts) => cell.toBoc(opts).toString('base64');

const comment = (memo) => beginCell().storeUint(0, 32).storeStringTail(memo).endCell();

const leaf = (value, bits) => beginCell().storeUint(value, bits).endCell();

function trees() {
  const shared = leaf(0xabc, 12);
  const a = leaf(1, 1);
  const b = leaf(0xdeadbeef, 32);
  const c = beginCell().storeUint(7, 3).storeRef(shared).endCell();
  const diamondBottom = beginCell().storeBuffer(Buffer.from('bottom')).endCell();
  const left = beginCell().storeUint(1, 8).storeRef(diamondBottom).endCell();
  const right = beginCell().storeUint(2, 8).storeRef(diamondBottom).endCell();
  const full = beginCell();
  for (let i = 0; i < 1023; i++) full.storeBit(i % 3 === 0);
  const deep = (() => {
    let cell = leaf(0, 0);
    for (let i = 0; i < 5; i++) cell = beginCell().storeUint(i, 5).storeRef(cell).endCell();
    return cell;
  })();
  const wide = beginCell().storeUint(0x1f, 7).storeRef(a).storeRef(shared).storeRef(c).storeRef(b).endCell();
  const diamond = beginCell().storeRef(left).storeRef(right).endCell();
  const sameTwice = beginCell().storeRef(shared).storeRef(shared).endCell();
  return [
    ['empty', leaf(0, 0)],
    ['one-bit', a],
    ['twelve-bits', shared],
    ['full-1023-bits', full.endCell()],
    ['four-refs-with-shared-grandchild', wide],
    ['diamond', diamond],
    ['same-child-twice', sameTwice],
    ['chain-of-six', deep],
  ].flatMap(([name, cell]) => [
    { name, hash_hex: cell.hash().toString('hex'), boc_base64: toBase64(cell) },
    { name: `${name}+idx`, boc_base64: toBase64(cell, { idx: true, crc32: true }) },
    { name: `${name}-crc32`, boc_base64: toBase64(cell, { idx: false, crc32: false }) },
  ]);
}

const out = process.argv.includes('--cells')
  ? trees()
  : memos.map((memo) => ({ memo, boc_base64: toBase64(comment(memo)) }));
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
