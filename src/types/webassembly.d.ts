// Node and Electron have WebAssembly, but TypeScript declares it only in its DOM and worker libs,
// and @types/node 20 not at all. What the resampler (src/main/engine/resampler.ts) uses.
declare namespace WebAssembly {
  // Opaque: a compiled module is only handed back to Instance. (esbuild's types declare the same.)
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Module {}
  const Module: { new (bytes: Uint8Array): Module };
  interface Memory {
    readonly buffer: ArrayBuffer;
  }
  const Memory: { new (descriptor: { initial: number; maximum?: number }): Memory };
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  const Instance: { new (module: Module, imports: Record<string, Record<string, unknown>>): Instance };
}
