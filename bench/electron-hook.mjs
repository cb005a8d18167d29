// A module resolve hook: `electron` is the strict test double (the Electron binary is absent).
const double = new URL('../test/desktop/electron-double.ts', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'electron') return { url: double, shortCircuit: true };
  return nextResolve(specifier, context);
}
