// The part of the WebAssembly JS API (https://webassembly.github.io/spec/js-api/) that
// goertzel-bank.ts uses. tsconfig's lib (ES2022) has no WebAssembly types and @types/node
// declares none; every JavaScript runtime toneguard runs on (Node >= 20, browsers) has these.
declare namespace WebAssembly {
  type ExportValue = unknown;
  type Exports = Record<string, ExportValue>;
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Exports;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
  function validate(bytes: Uint8Array): boolean;
}
