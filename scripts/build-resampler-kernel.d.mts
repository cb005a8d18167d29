export function assembleKernel(): Promise<string>;
export function kernelModuleText(base64: string): string;
